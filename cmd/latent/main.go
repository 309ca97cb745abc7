// Command latent trains convolutional variational autoencoders on image sets
// and makes their latent space visible: sample grids, reconstructions,
// interpolation GIFs, latent maps and likelihood scores.
//
// Usage:
//
//	latent <command> [flags]
//
// Run `latent help` for the list of commands and `latent help <command>` or
// `latent <command> --help` for each command's flags. Help goes to stdout;
// usage errors exit with status 2, other errors with 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
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
		"prior":       {"fit a prior to a trained run's codes (" + prior.Either(prior.KindNames()) + ") for better samples", runPrior},
		"score":       {"FID, KID, precision/recall and class coverage of a run's samples against the test split", runScore},
		"eval":        {"negative ELBO, KL, active units and importance-weighted NLL on the test split", runEval},
		"map":         {"plot the test set's latent means in 2-D, coloured by label; --manifold decodes a grid of a 2-D latent", runMap},
		"plot":        {"plot training curves from a run's metrics.csv", runPlot},
		"anomaly":     {"score images by negative ELBO; AUROC against another set", runAnomaly},
		"neighbors":   {"an image and its nearest neighbours in latent space", runNeighbors},
		"serve":       {"explore the latent space in the browser: map, sliders, interpolation, drawing", runServe},
		"export":      {"write a run's weights as a safetensors file for use outside latent", runExport},
		"setup":       {"install the XLA CPU PJRT plugin (or with --cuda the CUDA one and NVIDIA libraries) from PyPI into ~/.local/lib/go-xla", runSetup},
		"version":     {"print latent's version, GoMLX's, go-xla's and the PJRT plugin's", runVersion},
		"completion":  {"print a shell completion script: completion bash|zsh|fish", runCompletion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stdout, cmds)
		return 0
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:], stdout, stderr, cmds)
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "latent: unknown command %q%s\nRun 'latent help' for the list of commands.\n", name, suggestion(name, cmds))
		return 2
	}
	cmdErr := stderr
	if quietArg(args[1:]) {
		q := &quietWriter{w: stderr}
		defer q.flush()
		cmdErr = q
	}
	return exitStatus(name, cmd, cmd.run(args[1:], stdout, cmdErr), stdout, stderr)
}

// runHelp implements `latent help [command]`: the list of commands, or one
// command's flags, on stdout.
func runHelp(args []string, stdout, stderr io.Writer, cmds map[string]command) int {
	if len(args) == 0 {
		usage(stdout, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok || len(args) > 1 {
		fmt.Fprintf(stderr, "latent help: want one command name, got %q%s\n", args, suggestion(args[0], cmds))
		return 2
	}
	return exitStatus(args[0], cmd, cmd.run([]string{"--help"}, stdout, stderr), stdout, stderr)
}

// exitStatus reports a command's error and returns the exit status: 0 (help
// is printed on stdout), 2 for a usage error (a vae.ArgError too), the code of an errExit, else 1.
func exitStatus(name string, cmd command, err error, stdout, stderr io.Writer) int {
	var help helpRequest
	var bad usageError
	var code errExit
	var arg *vae.ArgError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		help.fs.SetOutput(stdout)
		help.fs.Usage()
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &bad), errors.As(err, &arg):
		fmt.Fprintf(stderr, "latent %s: %v\nRun 'latent %s --help' for usage.\n", name, err, name)
		return 2
	}
	fmt.Fprintf(stderr, "latent %s: %v%s\n", name, err, advice(err, flagSet(cmd)))
	return 1
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "latent trains convolutional VAEs and makes their latent space visible.")
	fmt.Fprintln(w, "\nUsage: latent <command> [flags]   (latent help <command>, or latent <command> --help, for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range commandNames(cmds) {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --quiet (no progress or informational lines on stderr).")
}

// commandNames returns the names of cmds in order.
func commandNames(cmds map[string]command) []string {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// suggestion returns "; did you mean X?" naming the command nearest name
// (suggest.Closest), or "" when none is near.
func suggestion(name string, cmds map[string]command) string {
	if best := suggest.Closest(name, commandNames(cmds)); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// hint is the advice added to an error that wraps err: text, naming the
// flag --flag, from commands that accept that flag, else other (which
// names no flag; "" for no advice).
type hint struct {
	err               error
	flag, text, other string
}

// hints are the sentinel errors the libraries report without naming
// flags, with the flag that resolves each.
func hints() []hint {
	return []hint{
		{data.ErrCorruptImage, "skip-bad", "--skip-bad skips corrupt images", "repair or remove the corrupt image"},
		{data.ErrSizesDiffer, "image-size", "--image-size N resizes them all to N×N",
			"a run reads image folders at the size it was trained on: resize the images to it first"},
		{data.ErrEmptySplit, "test-fraction", "--test-fraction F holds out that share of an image folder for the test split, " +
			"and each split keeps at least one image of a folder of two or more", ""},
	}
}

// advice returns the advice for err from a command with the flag set fs:
// it names only flags of fs.
func advice(err error, fs *flag.FlagSet) string {
	for _, h := range hints() {
		if !errors.Is(err, h.err) {
			continue
		}
		text := h.other
		if fs != nil && fs.Lookup(h.flag) != nil {
			text = h.text
		}
		if text == "" {
			return ""
		}
		return " (" + text + ")"
	}
	return ""
}

// flagSet returns the flag set of cmd, which it returns when asked for
// --help; nil for a command without one.
func flagSet(cmd command) *flag.FlagSet {
	var help helpRequest
	if err := cmd.run([]string{"--help"}, io.Discard, io.Discard); errors.As(err, &help) {
		return help.fs
	}
	return nil
}
