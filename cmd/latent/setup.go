package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/pjrtplugin"
	"github.com/latent-vae/latent/vae"
	"github.com/spf13/pflag"
)

// setupCommand defines `latent setup`'s flags on fs and returns its body,
// runSetup.
func setupCommand(fs *pflag.FlagSet) cli.RunFunc {
	dir := fs.String("dir", "", "folder to install into (default ~/.local/lib/go-xla, where XLA plugins are searched)")
	index := fs.String("index-url", pjrtplugin.DefaultIndexURL, "Python package index (simple API) holding the wheels")
	force := fs.Bool("force", false, "download and install again even if installed")
	cuda := new(pjrtplugin.CUDAMajor)
	cudaOperand := cli.OptionalValue(fs, cuda, "cuda", "13", "install the CUDA PJRT plugin and the NVIDIA libraries it needs (several GB) instead of the CPU plugin: "+
		"--cuda or --cuda 13 for CUDA 13 (NVIDIA driver >= 580), --cuda 12 for CUDA 12 (driver >= 525)", isNumber)
	pluginOnly := fs.Bool("plugin-only", false, "with --cuda: the plugin without the NVIDIA libraries (for libraries installed elsewhere, found through LD_LIBRARY_PATH)")
	return func(args []string, stdout, stderr io.Writer) error {
		args, err := cudaOperand(args) // --cuda 12
		if err != nil {
			return err
		}
		if err := cli.NoOperands(args); err != nil {
			return err
		}
		return runSetup(stdout, stderr, *dir, *index, *force, int(*cuda), *pluginOnly)
	}
}

// isNumber reports whether s is a number of decimal digits.
func isNumber(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// runSetup implements `latent setup`: download the pinned XLA CPU PJRT
// plugin from PyPI into ~/.local/lib/go-xla, or with --cuda the CUDA plugin
// of that major version and its NVIDIA libraries, or say they are there
// already.
func runSetup(stdout, stderr io.Writer, dir, index string, force bool, cuda int, pluginOnly bool) error {
	if pluginOnly && cuda == 0 {
		return cli.Usagef("--plugin-only: only with --cuda")
	}
	if info, err := os.Stat(dir); dir != "" && err == nil && !info.IsDir() {
		return fmt.Errorf("--dir %s: is a file, want a folder", dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := pjrtplugin.Options{Dir: dir, IndexURL: index, Force: force, Log: stderr}
	if cuda != 0 {
		return setupCUDA(ctx, pjrtplugin.CUDAOptions{Options: opt, Major: cuda, PluginOnly: pluginOnly}, stdout, stderr)
	}
	res, err := pjrtplugin.Install(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Report())
	return nil
}

// setupCUDA runs the CUDA install with a progress bar on a terminal.
func setupCUDA(ctx context.Context, opt pjrtplugin.CUDAOptions, stdout, stderr io.Writer) error {
	rel, err := pjrtplugin.CUDAReleaseFor(opt.Major)
	if err != nil {
		return fmt.Errorf("--cuda: %w", err)
	}
	if bar := vae.DownloadBar(stderr, rel.DownloadSize(opt.PluginOnly)); bar != nil {
		opt.Progress = bar
		defer bar.Close()
	}
	res, err := pjrtplugin.InstallCUDA(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Report(rel, opt.PluginOnly))
	return nil
}
