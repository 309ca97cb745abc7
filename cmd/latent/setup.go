package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/latent-vae/latent/pjrtplugin"
	"github.com/latent-vae/latent/vae"
)

// cudaFlag is --cuda: absent (0), given alone (13) or with a CUDA major version.
type cudaFlag int

func (c *cudaFlag) String() string {
	if c == nil || *c == 0 {
		return ""
	}
	return strconv.Itoa(int(*c))
}

func (c *cudaFlag) Set(s string) error {
	switch s {
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

func (c *cudaFlag) IsBoolFlag() bool { return true }

// runSetup implements `latent setup`: download the pinned XLA CPU PJRT
// plugin from PyPI into ~/.local/lib/go-xla, or with --cuda the CUDA plugin
// and its NVIDIA libraries, or say they are there already.
func runSetup(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("setup", "[--cuda [13|12]] [--plugin-only] [--dir DIR] [--index-url URL] [--force]", stderr)
	dir := fs.String("dir", "", "folder to install into (default ~/.local/lib/go-xla, where XLA plugins are searched)")
	index := fs.String("index-url", pjrtplugin.DefaultIndexURL, "Python package index (simple API) holding the wheels")
	force := fs.Bool("force", false, "download and install again even if installed")
	var cuda cudaFlag
	fs.Var(&cuda, "cuda", "install the CUDA PJRT plugin and the NVIDIA libraries it needs (several GB) instead of the CPU plugin: "+
		"--cuda or --cuda 13 for CUDA 13 (NVIDIA driver >= 580), --cuda 12 for CUDA 12 (driver >= 525)")
	pluginOnly := fs.Bool("plugin-only", false, "with --cuda: the plugin without the NVIDIA libraries (for libraries installed elsewhere, found through LD_LIBRARY_PATH)")
	if err := parseArgs(fs, joinCUDAVersion(args)); err != nil {
		return err
	}
	if *pluginOnly && cuda == 0 {
		return usagef("--plugin-only: only with --cuda")
	}
	if info, err := os.Stat(*dir); *dir != "" && err == nil && !info.IsDir() {
		return fmt.Errorf("--dir %s: is a file, want a folder", *dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opt := pjrtplugin.Options{Dir: *dir, IndexURL: *index, Force: *force, Log: stderr}
	if cuda != 0 {
		return setupCUDA(ctx, pjrtplugin.CUDAOptions{Options: opt, Major: int(cuda), PluginOnly: *pluginOnly}, stdout, stderr)
	}
	res, err := pjrtplugin.Install(ctx, opt)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Report())
	return nil
}

// joinCUDAVersion turns "--cuda 12" into "--cuda=12", since --cuda may
// also stand alone.
func joinCUDAVersion(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "--cuda" || a == "-cuda") && i+1 < len(args) && (args[i+1] == "12" || args[i+1] == "13") {
			a += "=" + args[i+1]
			i++
		}
		out = append(out, a)
	}
	return out
}

// setupCUDA runs the CUDA install with a progress bar on a terminal.
func setupCUDA(ctx context.Context, opt pjrtplugin.CUDAOptions, stdout, stderr io.Writer) error {
	rel, err := pjrtplugin.CUDAReleaseFor(opt.Major)
	if err != nil {
		return fmt.Errorf("--cuda: %w", err)
	}
	var total int64
	for _, w := range rel.Wheels(opt.PluginOnly) {
		total += w.Size
	}
	if bar := vae.DownloadBar(stderr, total); bar != nil {
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
