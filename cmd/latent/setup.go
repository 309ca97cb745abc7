package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/pjrtplugin"
	"github.com/latent-vae/latent/vae"
	"github.com/spf13/pflag"
)

// cudaFlag is --cuda: absent (0), given alone (13) or with a CUDA major
// version, as --cuda=12 or --cuda 12. A negative value is --cuda given
// alone, before the operand that may follow it is read (version).
type cudaFlag int

// cudaAlone is the value pflag sets --cuda to when it is given alone.
const cudaAlone = "alone"

// version completes a --cuda given alone with the major version that
// follows it as the first of the operands args (--cuda 12: a number),
// else 13, and returns the other operands.
func (c *cudaFlag) version(args []string) ([]string, error) {
	if *c >= 0 {
		return args, nil
	}
	*c = 13
	if len(args) == 0 || args[0] == "" || strings.Trim(args[0], "0123456789") != "" {
		return args, nil
	}
	if err := c.Set(args[0]); err != nil {
		return nil, cli.Usagef("invalid value %q for flag --cuda: %v", args[0], err)
	}
	return args[1:], nil
}

func (c *cudaFlag) String() string {
	if c == nil || *c == 0 {
		return ""
	}
	return strconv.Itoa(int(*c))
}

func (c *cudaFlag) Set(s string) error {
	switch s {
	case cudaAlone:
		*c = -1
	case "true", "13":
		*c = 13
	case "12":
		*c = 12
	case "false":
		*c = 0
	default:
		return fmt.Errorf("want 13 (driver >= 580) or 12 (driver >= 525), got %q", s)
	}
	return nil
}

// Type names --cuda's value in help: a CUDA major version.
func (c *cudaFlag) Type() string { return "" }

// setupCommand defines `latent setup`'s flags on fs and returns its body,
// runSetup.
func setupCommand(fs *pflag.FlagSet) cli.RunFunc {
	dir := fs.String("dir", "", "folder to install into (default ~/.local/lib/go-xla, where XLA plugins are searched)")
	index := fs.String("index-url", pjrtplugin.DefaultIndexURL, "Python package index (simple API) holding the wheels")
	force := fs.Bool("force", false, "download and install again even if installed")
	cuda := new(cudaFlag)
	fs.Var(cuda, "cuda", "install the CUDA PJRT plugin and the NVIDIA libraries it needs (several GB) instead of the CPU plugin: "+
		"--cuda or --cuda 13 for CUDA 13 (NVIDIA driver >= 580), --cuda 12 for CUDA 12 (driver >= 525)")
	fs.Lookup("cuda").NoOptDefVal = cudaAlone
	pluginOnly := fs.Bool("plugin-only", false, "with --cuda: the plugin without the NVIDIA libraries (for libraries installed elsewhere, found through LD_LIBRARY_PATH)")
	return func(args []string, stdout, stderr io.Writer) error {
		return runSetup(fs, args, stdout, stderr, dir, index, force, cuda, pluginOnly)
	}
}

// runSetup implements `latent setup`: download the pinned XLA CPU PJRT
// plugin from PyPI into ~/.local/lib/go-xla, or with --cuda the CUDA plugin
// and its NVIDIA libraries, or say they are there already.
func runSetup(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	dir, index *string, force *bool, cuda *cudaFlag, pluginOnly *bool) error {
	args, err := cuda.version(args)
	if err != nil {
		return err
	}
	if err := cli.NoOperands(args); err != nil {
		return err
	}
	if *pluginOnly && *cuda == 0 {
		return cli.Usagef("--plugin-only: only with --cuda")
	}
	if info, err := os.Stat(*dir); *dir != "" && err == nil && !info.IsDir() {
		return fmt.Errorf("--dir %s: is a file, want a folder", *dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := pjrtplugin.Options{Dir: *dir, IndexURL: *index, Force: *force, Log: stderr}
	if *cuda != 0 {
		return setupCUDA(ctx, pjrtplugin.CUDAOptions{Options: opt, Major: int(*cuda), PluginOnly: *pluginOnly}, stdout, stderr)
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
