package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// defaultScoreN is how many samples `latent score` draws by default, as
// FID's literature does.
const defaultScoreN = 10000

// scoreLong is the help of `latent score` after its synopsis.
const scoreLong = "  Scores are measured in the features of a small classifier trained by latent (MNIST's ships with latent;\n" +
	"  another labelled set gets one on first use, cached in ~/.cache/latent/features): latent's own scale,\n" +
	"  not comparable with the Inception FIDs of papers; ratios between rows are."

// scoreCommand defines `latent score`'s flags on fs and returns its body, runScore.
func scoreCommand(fs *pflag.FlagSet) cli.RunFunc {
	run := runFlag(fs)
	backendName := backendFlag(fs)
	o := &vae.ScoreOptions{}
	fs.IntVarP(&o.N, "n", "n", defaultScoreN, "number of samples (at least 2)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the samples' latents and of KID's subsets")
	temperatureFlag(fs, &o.Temperature, "standard deviation of the latents")
	fs.StringVar(&o.Prior, "prior", vae.AllPriors, "priors whose samples are scored, a row each: all (N(0, I) and every prior fitted to the run), "+
		"normal (uniform for a grid of discrete codes), "+suggest.Either(prior.KindNames()))
	fs.IntVar(&o.Steps, "prior-steps", vae.DefaultPriorSteps, "sampling steps of a fitted prior that samples in steps (DDIM)")
	topK := topKFlag(fs)
	fs.StringVar(&o.Features, "features", "", "feature network: a file written by --train-features, or a run folder whose labelled data set gives one "+
		"(default: the run's data set's own; give one for a data set without labels)")
	asJSON := fs.Bool("json", false, "print the scores as JSON on stdout")
	trainSet := fs.String("train-features", "", "the old spelling of latent features train --data DATA -o FILE")
	out := fs.StringP("o", "o", "", "with --train-features: the .safetensors file to write")
	for _, old := range []string{"train-features", "o"} {
		if err := fs.MarkHidden(old); err != nil {
			panic(err) // not defined: a bug
		}
	}
	return func(_ []string, stdout, stderr io.Writer) error {
		if *trainSet != "" {
			if *run != "" || o.Features != "" {
				return cli.Usagef("--train-features: give it with -o only, not with --run or --features")
			}
			return trainFeatures("--train-features", *trainSet, *out, *backendName, stdout, stderr)
		}
		if err := needRun(*run); err != nil {
			return err
		}
		if *out != "" {
			return cli.Usagef("-o: only --train-features writes a file")
		}
		return runScore(*run, *backendName, *o, *topK, *asJSON, stdout, stderr)
	}
}

// runScore implements `latent score`: FID, KID, precision/recall and class
// coverage of a run's samples against the test split, beside a perfect
// prior's samples (decoded posterior draws of random training images), the run's
// reconstructions of the test split and the training split (the floor);
// and, with --train-features, training a feature network.
func runScore(run, backendName string, o vae.ScoreOptions, topK int, asJSON bool, stdout, stderr io.Writer) error {
	if err := o.Check(); err != nil {
		return err
	}
	if err := checkTopK(topK); err != nil {
		return err
	}
	s, err := vae.Open(run, backendName, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TopK = topK
	rows, err := s.Score(o)
	if err != nil {
		return err
	}
	if asJSON {
		return rows.WriteJSON(stdout)
	}
	rows.WriteText(stdout)
	return nil
}

// trainFeatures implements `latent features train`: a feature network
// trained on the data set spec, given by the flag dataFlag, by
// features.DefaultRecipe, written to out.
func trainFeatures(dataFlag, spec, out, backendName string, stdout, stderr io.Writer) error {
	if _, err := cli.CheckOut("-o", out, ownFile, "safetensors"); err != nil {
		return err
	}
	report, err := vae.TrainFeatures(dataFlag, spec, out, backendName, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, report)
	return nil
}
