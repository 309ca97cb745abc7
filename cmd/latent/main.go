// Command latent trains convolutional variational autoencoders on image sets
// and makes their latent space visible: sample grids, reconstructions,
// interpolation GIFs, latent maps and likelihood scores.
//
// Usage:
//
//	latent <command> [flags]
//
// Run `latent help` for the list of commands and `latent <command> --help`
// for each command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/latent-vae/latent/data"
)

// command is one subcommand of latent.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"info":        {"show the backend, PJRT plugin, devices and versions", runInfo},
		"data":        {"summarise a data set and write a grid of its first images; `data fetch` downloads one", runData},
		"train":       {"train a convolutional VAE, with checkpoints and resume", runTrain},
		"sample":      {"write a grid of images decoded from random latents", runSample},
		"reconstruct": {"write test images over their reconstructions", runReconstruct},
		"interpolate": {"write a GIF morphing between two latents or images", runInterpolate},
		"traverse":    {"sweep each latent dimension around a base code", runTraverse},
		"eval":        {"negative ELBO, KL, active units and importance-weighted NLL on the test split", runEval},
		"map":         {"plot the test set's latent means in 2-D, coloured by label", runMap},
		"plot":        {"plot training curves from a run's metrics.csv", runPlot},
		"anomaly":     {"score images by negative ELBO; AUROC against another set", runAnomaly},
		"neighbors":   {"an image and its nearest neighbours in latent space", runNeighbors},
		"serve":       {"explore the latent space in the browser: map, sliders, interpolation, drawing", runServe},
		"export":      {"write a run's weights as a safetensors file for use outside latent", runExport},
		"setup":       {"install the XLA CPU PJRT plugin from PyPI into ~/.local/lib/go-xla", runSetup},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "latent: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var code errExit
		if errors.As(err, &code) {
			return int(code)
		}
		fmt.Fprintf(stderr, "latent %s: %v%s\n", args[0], err, advice(err))
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "latent trains convolutional VAEs and makes their latent space visible.")
	fmt.Fprintln(w, "\nUsage: latent <command> [flags]   (latent <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
}

// newFlagSet returns a flag set for a subcommand whose usage and errors go to
// stderr; its parse errors are returned rather than exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("latent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: latent %s %s\n\nFlags:\n", name, synopsis)
		printFlags(stderr, fs)
	}
	return fs
}

// printFlags lists a flag set GNU-style: --name TYPE, then the usage and the
// default where it is not the zero value.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + dash + f.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if d := f.DefValue; d != "" && d != "0" && d != "false" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// advice names the flag that resolves an error the libraries report without
// naming flags.
func advice(err error) string {
	switch {
	case errors.Is(err, data.ErrCorruptImage):
		return " (--skip-bad skips corrupt images)"
	case errors.Is(err, data.ErrSizesDiffer):
		return " (--image-size N resizes them all to N×N)"
	}
	return ""
}
