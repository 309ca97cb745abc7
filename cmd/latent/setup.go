package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/latent-vae/latent/pjrtplugin"
)

// runSetup implements `latent setup`: download the pinned XLA CPU PJRT
// plugin from PyPI into ~/.local/lib/go-xla, or say it is there already.
func runSetup(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("setup", "[--dir DIR] [--index-url URL] [--force]", stderr)
	dir := fs.String("dir", "", "folder to install "+pjrtplugin.PluginName+" into (default ~/.local/lib/go-xla, where XLA plugins are searched)")
	index := fs.String("index-url", pjrtplugin.DefaultIndexURL, "Python package index (simple API) holding the "+pjrtplugin.Package+" wheel")
	force := fs.Bool("force", false, "download and install again even if the plugin is installed")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if info, err := os.Stat(*dir); *dir != "" && err == nil && !info.IsDir() {
		return fmt.Errorf("--dir %s: is a file, want a folder", *dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := pjrtplugin.Install(ctx, pjrtplugin.Options{Dir: *dir, IndexURL: *index, Force: *force, Log: stderr})
	if err != nil {
		return err
	}
	if res.AlreadyInstalled {
		fmt.Fprintf(stdout, "XLA CPU PJRT plugin already installed: %s (%s %s; --force reinstalls)\n",
			res.Path, pjrtplugin.Package, pjrtplugin.Version)
		return nil
	}
	fmt.Fprintf(stdout, "installed XLA CPU PJRT plugin: %s (%s %s, wheel SHA-256 verified)\n",
		res.Path, pjrtplugin.Package, pjrtplugin.Version)
	return nil
}
