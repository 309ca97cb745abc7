package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
)

// runVersion implements `latent version` (and `latent --version`): latent's
// version with GoMLX's, go-xla's and the XLA CPU PJRT plugin's, when found.
// versionCommand returns the body of `latent version`, runVersion: it has no flags of its own.
func versionCommand(fs *pflag.FlagSet) runFunc {
	return func(args []string, stdout, stderr io.Writer) error { return runVersion(fs, args, stdout, stderr) }
}

func runVersion(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "latent %s\n", latentVersion())
	backend.WriteVersions(stdout)
	return nil
}

// latentVersion is the version of latent's module built into the binary,
// or "devel" for a build from a work tree.
func latentVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "devel"
	}
	return info.Main.Version
}
