package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/cli"
)

// versionCommand returns the body of `latent version` (and `latent
// --version`): latent's version with GoMLX's, go-xla's and the XLA CPU
// PJRT plugin's, when found. It has no flags of its own.
func versionCommand(*pflag.FlagSet) cli.RunFunc {
	return func(_ []string, stdout, _ io.Writer) error {
		fmt.Fprintf(stdout, "latent %s\n", latentVersion())
		backend.WriteVersions(stdout)
		return nil
	}
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
