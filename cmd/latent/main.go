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
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// runFunc is a command's body: it runs on the operands left once cobra
// has parsed the command's flags.
type runFunc func(args []string, stdout, stderr io.Writer) error

// command is one command of latent, a node of the tree cobra runs.
type command struct {
	use     string // its name, then the synopsis of its operands and flags
	summary string
	long    string                          // help after the synopsis
	define  func(fs *pflag.FlagSet) runFunc // defines its flags and returns its body; nil for a group of subcommands
	sub     []command
}

// commands is latent's command tree.
func commands() []command {
	return []command{
		{use: "info [--backend B] [--devices N]", summary: "show the backend, PJRT plugin, devices and versions", define: infoCommand},
		{use: "data [--data SET|FOLDER] [--split train|test] [--list] [-o grid.png [--numbers]] [flags]",
			summary: "summarise a data set and write a grid of its first images; `data fetch` downloads one", define: dataCommand,
			sub: []command{{use: "fetch NAME [--dir DIR] [--base-url URL]", summary: "download a data set: " + prior.Either(data.Fetchable()), define: dataFetchCommand}}},
		{use: "train --out DIR [flags]", summary: "train a convolutional VAE, with checkpoints and resume", long: trainSynopsis, define: trainCommand},
		{use: "sample --run DIR [-n N] [--seed S] [--temperature T] [--prior P] [-o samples.png|samples.npy] [flags]",
			summary: "write a grid of images decoded from random latents", long: sampleLong, define: sampleCommand},
		{use: "reconstruct --run DIR [--data SET] [-n N] [--first] [--numbers] [-o recon.png] [flags]",
			summary: "write test images over their reconstructions", define: reconstructCommand},
		{use: "interpolate --run DIR [-o interp.gif] [flags]", summary: "write a GIF morphing between two latents or images", long: interpolateLong, define: interpolateCommand},
		{use: "traverse --run DIR [-o traverse.png] [flags]", summary: "sweep each latent dimension around a base code", long: traverseLong, define: traverseCommand},
		{use: "prior fit|list|score --run DIR [flags]",
			summary: "fit a prior to a trained run's codes (" + prior.Either(prior.KindNames()) + ") for better samples", sub: []command{
				{use: "fit --run DIR --kind KIND [flags]", summary: "fit a prior to the run's codes, scored and saved in the run folder",
					long: kindFlagsSynopsis(), define: priorFitCommand},
				{use: "list --run DIR [--json]", summary: "the fitted priors, their scores, best first", define: priorListCommand},
				{use: "score --run DIR --kind KIND", summary: "score a prior fitted before fits were scored", define: priorScoreCommand},
			}},
		{use: "score --run DIR [-n N] [--seed S] [--temperature T] [--prior P] [--features FILE|RUN] [--json] [flags]",
			summary: "FID, KID, precision/recall and class coverage of a run's samples against the test split", long: scoreLong, define: scoreCommand},
		{use: "features train --data DATA -o FILE.safetensors", summary: "train the feature network of latent score on a labelled data set", sub: []command{
			{use: "train --data DATA -o FILE.safetensors [--backend B]", summary: "train a feature network on a labelled data set by latent's recipe", define: featuresTrainCommand}}},
		{use: "eval --run DIR [--data X] [--iw K] [--binarize] [--json] [flags]",
			summary: "negative ELBO, KL, active units and importance-weighted NLL on the test split", define: evalCmd},
		{use: "map --run DIR [--method M] [-o map.png|map.svg|map.pdf|map.csv] [flags]",
			summary: "plot the test set's latent means in 2-D, coloured by label; --manifold decodes a grid of a 2-D latent", long: mapLong, define: mapCommand},
		{use: "plot --run DIR [-o curves.png|curves.svg|curves.pdf]", summary: "plot training curves from a run's metrics.csv", define: plotCommand},
		{use: "anomaly --run DIR [--data X] [--ood Y] [-k K] [-o worst.png] [--csv scores.csv] [flags]",
			summary: "score images by negative ELBO; AUROC against another set", define: anomalyCommand},
		{use: "neighbors --run DIR (--index I | --image-label L [--which N]) [-k K] [--among train|test] [-o nn.png] [flags]",
			summary: "an image and its nearest neighbours in latent space", define: neighborsCommand},
		{use: "encode --run DIR [--split train|test] [--limit N] [-o codes.npz|codes.npy] [flags]",
			summary: "write a split's posterior codes, labels and factors as numpy arrays", define: encodeCommand},
		{use: "probe --run DIR [--labels N] [--draws D] [-k K] [--json] [flags]",
			summary: "few-label classification (logistic regression, k-NN) on the codes and on pixels", define: probeCommand},
		{use: "serve --run DIR [--addr HOST:PORT] [--method M] [flags]", summary: "explore the latent space in the browser: map, sliders, interpolation, drawing", define: serveCommand},
		{use: "export --run DIR [-o model.safetensors] [--priors all|none|KIND,…]", summary: "write a run's weights as a safetensors file for use outside latent", define: exportCommand},
		{use: "setup [--cuda [13|12]] [--plugin-only] [--dir DIR] [--index-url URL] [--force]",
			summary: "install the XLA CPU PJRT plugin (or with --cuda the CUDA one and NVIDIA libraries) from PyPI into ~/.local/lib/go-xla", define: setupCommand},
		{use: "version", summary: "print latent's version, GoMLX's, go-xla's and the PJRT plugin's", define: versionCommand},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...)
	}
	root := newRoot(stdout, stderr)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd, err := root.ExecuteC()
	return exitStatus(cmd, err, stderr)
}

// newRoot builds latent's command tree on cobra, writing to stdout and
// stderr.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "latent",
		Short: "latent trains convolutional VAEs and makes their latent space visible.",
		Args:  unknownCommand, SilenceErrors: true, SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		// Required flags are checked here, before cobra's own check, to say what they take.
		PersistentPreRunE: checkRequired,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().Bool("quiet", false, quietUsage)
	root.SetFlagErrorFunc(flagError)
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		if cmd.HasParent() {
			helpText(cmd.OutOrStdout(), cmd)
		} else {
			usage(cmd.OutOrStdout(), cmd)
		}
	})
	root.SetHelpCommand(helpCommand())
	root.CompletionOptions.DisableDefaultCmd = true
	for _, c := range commands() {
		root.AddCommand(c.cobra(stdout, stderr))
	}
	root.AddCommand(completionCommand())
	completeValues(root)
	return root
}

// cobra returns c as a cobra command whose body writes to stdout and
// stderr (filtered by --quiet).
func (c command) cobra(stdout, stderr io.Writer) *cobra.Command {
	cc := &cobra.Command{Use: c.use, Short: c.summary, Long: c.long, Args: cobra.ArbitraryArgs}
	if c.define != nil {
		body := c.define(cc.Flags())
		cc.RunE = func(cmd *cobra.Command, args []string) error {
			errOut := stderr
			if quiet, _ := cmd.Flags().GetBool("quiet"); quiet {
				q := &quietWriter{w: stderr}
				defer q.flush()
				errOut = q
			}
			return body(args, stdout, errOut)
		}
	}
	for _, s := range c.sub {
		cc.AddCommand(s.cobra(stdout, stderr))
	}
	if len(c.sub) > 0 {
		cc.Args = unknownCommand
		if c.define == nil {
			cc.RunE = func(cmd *cobra.Command, _ []string) error {
				return usagef("%s wants a subcommand: %s", cmd.Name(), prior.Either(commandNames(cmd)))
			}
		}
	}
	return cc
}

// helpCommand is `latent help [command [subcommand]]`: the list of
// commands, or one command's flags, on stdout.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use: "help [command]", Short: "show the list of commands, or a command's flags",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return commandNames(parent), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 { // all latent's commands have Args: Find reports no error
				return usagef("want one command name, got %q%s", args, suggestion(rest, commandNames(target)))
			}
			return target.Help()
		},
	}
}

// unknownCommand is the Args of a command with subcommands: an operand
// is a subcommand cobra did not find.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	what := "command"
	if cmd.HasParent() {
		what = "subcommand"
	}
	return usagef("unknown %s %q%s", what, args[0], suggestion(args[:1], commandNames(cmd)))
}

// exitStatus reports the error of cmd and returns the exit status: 0,
// 2 for a usage error (a vae.ArgError too), the code of an errExit, else 1
// with advice that names only flags cmd accepts.
func exitStatus(cmd *cobra.Command, err error, stderr io.Writer) int {
	var bad usageError
	var code errExit
	var arg *vae.ArgError
	name := strings.TrimPrefix(cmd.CommandPath(), "latent ")
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case !cmd.HasParent():
		fmt.Fprintf(stderr, "latent: %v\nRun 'latent help' for the list of commands.\n", err)
		return 2
	case errors.As(err, &bad), errors.As(err, &arg):
		fmt.Fprintf(stderr, "latent %s: %v\nRun 'latent %s --help' for usage.\n", name, err, name)
		return 2
	}
	fmt.Fprintf(stderr, "latent %s: %v%s\n", name, err, advice(err, cmd.Flags()))
	return 1
}

// usage writes the list of commands.
func usage(w io.Writer, root *cobra.Command) {
	fmt.Fprintln(w, root.Short)
	fmt.Fprintln(w, "\nUsage: latent <command> [flags]   (latent help <command>, or latent <command> --help, for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range subcommands(root) {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name(), c.Short)
		for _, s := range subcommands(c) {
			fmt.Fprintf(w, "    %-10s %s\n", s.Name(), s.Short)
		}
	}
	fmt.Fprintln(w, "\nEvery command takes --quiet (no progress or informational lines on stderr).")
}

// subcommands returns cmd's subcommands that a user runs, in order
// (neither help nor cobra's hidden ones).
func subcommands(cmd *cobra.Command) []*cobra.Command {
	var subs []*cobra.Command
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			subs = append(subs, c)
		}
	}
	return subs
}

// commandNames returns the names of cmd's subcommands, in order.
func commandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range subcommands(cmd) {
		names = append(names, c.Name())
	}
	return names
}

// suggestion returns "; did you mean X?" naming the command of names
// nearest the one of typed (suggest.Closest), or "" when none is near or
// typed is empty.
func suggestion(typed []string, names []string) string {
	if len(typed) == 0 {
		return ""
	}
	if best := suggest.Closest(typed[0], names); best != "" {
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
func advice(err error, fs *pflag.FlagSet) string {
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
