package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/latent-vae/latent/backend"
)

// runVersion implements `latent version` (and `latent --version`): latent's
// version with GoMLX's, go-xla's and the XLA CPU PJRT plugin's, when found.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
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
