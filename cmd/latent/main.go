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
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// commands is latent's command tree.
func commands() []cli.Command {
	return []cli.Command{
		{Use: "info [--backend B] [--devices N]", Summary: "show the backend, PJRT plugin, devices and versions", Define: infoCommand},
		{Use: "data [--data SET|FOLDER] [--split train|test] [--list] [-o grid.png [--numbers]] [flags]",
			Summary: "summarise a data set and write a grid of its first images; `data fetch` downloads one", Define: dataCommand,
			Sub: []cli.Command{{Use: "fetch NAME [--dir DIR] [--base-url URL]", Summary: "download a data set: " + suggest.Either(data.Fetchable()),
				Define: dataFetchCommand, Operands: true, Args: cli.FirstOperand(data.Fetchable)}}},
		{Use: "train --out DIR [flags]", Summary: "train a convolutional VAE, with checkpoints and resume", Long: trainSynopsis, Define: trainCommand},
		{Use: "sample --run DIR [-n N] [--seed S] [--temperature T] [--prior P] [-o samples.png|samples.npy] [flags]",
			Summary: "write a grid of images decoded from random latents", Long: sampleLong, Define: sampleCommand},
		{Use: "reconstruct --run DIR [--data SET] [-n N] [--first] [--numbers] [-o recon.png] [flags]",
			Summary: "write test images over their reconstructions", Define: reconstructCommand},
		{Use: "interpolate --run DIR [-o interp.gif] [flags]", Summary: "write a GIF morphing between two latents or images", Long: interpolateLong, Define: interpolateCommand},
		{Use: "traverse --run DIR [-o traverse.png] [flags]", Summary: "sweep each latent dimension around a base code", Long: traverseLong, Define: traverseCommand},
		{Use: "factors --run DIR [--data SET] [-o mi.png] [--json] [flags]", Summary: "disentanglement metrics (MIG, SAP, DCI, FactorVAE, BetaVAE) against a data set's known factors",
			Long: factorsLong, Define: factorsCommand},
		{Use: "prior fit|list|score --run DIR [flags]",
			Summary: "fit a prior to a trained run's codes (" + suggest.Either(prior.KindNames()) + ") for better samples", Sub: []cli.Command{
				{Use: "fit --run DIR --kind KIND [flags]", Summary: "fit a prior to the run's codes, scored and saved in the run folder",
					Long: kindFlagsSynopsis(), Define: priorFitCommand},
				{Use: "list --run DIR [--json]", Summary: "the fitted priors, their scores, best first", Define: priorListCommand},
				{Use: "score --run DIR --kind KIND", Summary: "score a prior fitted before fits were scored", Define: priorScoreCommand},
			}},
		{Use: "score --run DIR [-n N] [--seed S] [--temperature T] [--prior P] [--features FILE|RUN] [--json] [flags]",
			Summary: "FID, KID, precision/recall and class coverage of a run's samples against the test split", Long: scoreLong, Define: scoreCommand},
		{Use: "features train --data DATA -o FILE.safetensors", Summary: "train the feature network of latent score on a labelled data set", Sub: []cli.Command{
			{Use: "train --data DATA -o FILE.safetensors [--backend B]", Summary: "train a feature network on a labelled data set by latent's recipe", Define: featuresTrainCommand}}},
		{Use: "eval --run DIR [--data X] [--iw K] [--binarize] [--json] [flags]",
			Summary: "negative ELBO, KL, active units and importance-weighted NLL on the test split", Define: evalCmd},
		{Use: "map --run DIR [--method M] [-o map.png|map.svg|map.pdf|map.csv] [flags]",
			Summary: "plot the test set's latent means in 2-D, coloured by label; --manifold decodes a grid of a 2-D latent", Long: mapLong, Define: mapCommand},
		{Use: "plot --run DIR [-o curves.png|curves.svg|curves.pdf]", Summary: "plot training curves from a run's metrics.csv", Define: plotCommand},
		{Use: "anomaly --run DIR [--data X] [--ood Y] [-k K] [-o worst.png] [--csv scores.csv] [flags]",
			Summary: "score images by negative ELBO; AUROC against another set", Define: anomalyCommand},
		{Use: "neighbors --run DIR (--index I | --image-label L [--which N]) [-k K] [--among train|test] [-o nn.png] [flags]",
			Summary: "an image and its nearest neighbours in latent space", Define: neighborsCommand},
		{Use: "encode --run DIR [--split train|test] [--limit N] [-o codes.npz|codes.npy] [flags]",
			Summary: "write a split's posterior codes, labels and factors as numpy arrays", Define: encodeCommand},
		{Use: "probe --run DIR [--labels N] [--draws D] [-k K] [--json] [flags]",
			Summary: "few-label classification (logistic regression, k-NN) on the codes and on pixels", Define: probeCommand},
		{Use: "serve --run DIR [--addr HOST:PORT] [--method M] [flags]", Summary: "explore the latent space in the browser: map, sliders, interpolation, drawing", Define: serveCommand},
		{Use: "export --run DIR [-o model.safetensors] [--priors all|none|KIND,…]", Summary: "write a run's weights as a safetensors file for use outside latent", Define: exportCommand},
		{Use: "setup [--cuda [13|12]] [--plugin-only] [--dir DIR] [--index-url URL] [--force]",
			Summary: "install the XLA CPU PJRT plugin (or with --cuda the CUDA one and NVIDIA libraries) from PyPI into ~/.local/lib/go-xla", Define: setupCommand, Operands: true},
		{Use: "version", Summary: "print latent's version, GoMLX's, go-xla's and the PJRT plugin's", Define: versionCommand},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// program is latent on internal/cli: its command tree, the libraries'
// refusals of a value given (vae.ArgError) as usage errors, a run folder
// given as an operand, the advice for the libraries' sentinel errors and
// the completion of flag values.
func program() cli.Program {
	return cli.Program{
		Name: "latent", Short: "latent trains convolutional VAEs and makes their latent space visible.",
		Commands: commands(), Hints: hints(), IsUsage: isArgError, Operand: runFolderOperand, Completers: valueCompleters(),
	}
}

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...)
	}
	return program().Run(args, stdout, stderr)
}

// isArgError reports whether err is a vae.ArgError: a bad value given,
// which latent reports as a usage error.
func isArgError(err error) bool {
	var arg *vae.ArgError
	return errors.As(err, &arg)
}

// runFolderOperand refuses a run folder given as an operand to a command
// that takes it as --run, saying so.
func runFolderOperand(fs *pflag.FlagSet, dir string) error {
	if fs.Lookup("run") != nil && rundir.IsRunFolder(dir) {
		return cli.Usagef("unexpected argument %q: it is a run folder; give it as --run %s", dir, dir)
	}
	return nil
}

// hints are the sentinel errors the libraries report without naming
// flags, with the flag that resolves each.
func hints() []cli.Hint {
	return []cli.Hint{
		{Err: data.ErrCorruptImage, Flag: "skip-bad", Text: "--skip-bad skips corrupt images", Other: "repair or remove the corrupt image"},
		{Err: data.ErrSizesDiffer, Flag: "image-size", Text: "--image-size N resizes them all to N×N",
			Other: "a run reads image folders at the size it was trained on: resize the images to it first"},
		{Err: data.ErrEmptySplit, Flag: "test-fraction", Text: "--test-fraction F holds out that share of an image folder for the test split, " +
			"and each split keeps at least one image of a folder of two or more"},
	}
}
