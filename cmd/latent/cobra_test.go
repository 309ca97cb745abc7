package main

import (
	"io"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandFlags returns the flags of every command of latent that runs
// (not a group's), by path ("sample", "prior fit"), --quiet included.
func commandFlags(t *testing.T) map[string]*pflag.FlagSet {
	t.Helper()
	out := map[string]*pflag.FlagSet{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range cli.Subcommands(c) {
			if s.Runnable() {
				s.InheritedFlags() // merges --quiet into s.Flags()
				out[strings.TrimPrefix(s.CommandPath(), "latent ")] = s.Flags()
			}
			walk(s)
		}
	}
	walk(program().Root(io.Discard, io.Discard))
	if len(out) < 20 {
		t.Fatalf("found %d commands, want every command of latent", len(out))
	}
	return out
}

// flagsOf returns the flags of the command at path ("map", "prior fit").
func flagsOf(t *testing.T, path string) *pflag.FlagSet {
	t.Helper()
	fs, ok := commandFlags(t)[path]
	if !ok {
		t.Fatalf("no command latent %s", path)
	}
	return fs
}

// runErr runs the command line args as run does and returns the error of
// the command, unprinted.
func runErr(args []string, stdout, stderr io.Writer) error {
	root := program().Root(stdout, stderr)
	root.SetArgs(append([]string{}, args...))
	_, err := root.ExecuteC()
	return err
}

// testFlagSet returns a flag set with --quiet, as a command's flags are
// once cobra merges it in, for a test to define a command's flags on.
func testFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("quiet", false, cli.QuietUsage)
	return fs
}

// parseTest parses args into fs as cobra does, then as a command that
// takes no operands does (cli.NoOperands).
func parseTest(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return cli.NoOperands(fs.Args())
}

// trainFlagSet returns `latent train`'s flags and what they bind.
func trainFlagSet(io.Writer) (*pflag.FlagSet, *trainArgs) {
	fs := testFlagSet()
	return fs, trainFlags(fs)
}

// priorFitFlagSet returns `latent prior fit`'s flags and what they bind.
func priorFitFlagSet(io.Writer) (*pflag.FlagSet, *priorFitFlags) {
	fs := testFlagSet()
	return fs, definePriorFit(fs)
}
