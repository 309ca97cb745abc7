package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
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
func scoreCommand(fs *pflag.FlagSet) runFunc {
	run := runFlag(fs)
	backendName := backendFlag(fs)
	n := fs.IntP("n", "n", defaultScoreN, "number of samples (at least 2)")
	seed := fs.Int64("seed", 1, "seed of the samples' latents and of KID's subsets")
	temperature := fs.Float64("temperature", 1, "standard deviation of the latents")
	priorName := fs.String("prior", vae.AllPriors, "priors whose samples are scored, a row each: all (N(0, I) and every prior fitted to the run), "+
		"normal (uniform for a grid of discrete codes), "+prior.Either(prior.KindNames()))
	priorSteps := fs.Int("prior-steps", vae.DefaultPriorSteps, "sampling steps of a fitted prior that samples in steps (DDIM)")
	topK := topKFlag(fs)
	featArg := fs.String("features", "", "feature network: a file written by --train-features, or a run folder whose labelled data set gives one "+
		"(default: the run's data set's own; give one for a data set without labels)")
	asJSON := fs.Bool("json", false, "print the scores as JSON on stdout")
	trainSet := fs.String("train-features", "", "the old spelling of latent features train --data DATA -o FILE")
	out := fs.StringP("o", "o", "", "with --train-features: the .safetensors file to write")
	for _, old := range []string{"train-features", "o"} {
		if err := fs.MarkHidden(old); err != nil {
			panic(err) // not defined: a bug
		}
	}
	return func(args []string, stdout, stderr io.Writer) error {
		return runScore(fs, args, stdout, stderr, run, backendName, n, seed, temperature, priorFlags{priorName, priorSteps, topK}, featArg, asJSON, trainSet, out)
	}
}

// runScore implements `latent score`: FID, KID, precision/recall and class
// coverage of a run's samples against the test split, beside a perfect
// prior's samples (decoded posterior draws of random training images), the run's
// reconstructions of the test split and the training split (the floor);
// and, with --train-features, training a feature network.
func runScore(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	run, backendName *string, n *int, seed *int64, temperature *float64, pf priorFlags, featArg *string, asJSON *bool, trainSet, out *string) error {
	priorName, priorSteps := pf.name, pf.steps
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *trainSet != "" {
		if *run != "" || *featArg != "" {
			return usagef("--train-features: give it with -o only, not with --run or --features")
		}
		return trainFeatures("--train-features", *trainSet, *out, *backendName, stdout, stderr)
	}
	switch {
	case *run == "":
		return usagef("--run: a run folder is required")
	case *out != "":
		return usagef("-o: only --train-features writes a file")
	case *n < 2 || *n > maxGenImages:
		return usagef("-n %d: want 2 to %d (scores need at least two samples)", *n, maxGenImages)
	}
	if err := checkTemperature(*temperature); err != nil {
		return err
	}
	if *priorName != vae.AllPriors {
		if err := pf.check(); err != nil {
			return err
		}
	} else if err := checkTopK(*pf.topK); err != nil {
		return err
	}
	s, err := openSession(*run, *backendName, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TopK = *pf.topK
	priors, err := s.ScoredPriors(*priorName)
	if err != nil {
		return err
	}
	rows, err := s.Score(vae.ScoreOptions{Features: *featArg, Priors: priors, Steps: *priorSteps, N: *n, Seed: *seed, Temperature: *temperature})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeScoresJSON(stdout, rows)
	}
	printScores(stdout, rows)
	return nil
}

// trainFeatures implements `latent features train`: a feature network
// trained on the data set spec, given by the flag dataFlag, by
// features.DefaultRecipe, written to out.
func trainFeatures(dataFlag, spec, out, backendName string, stdout, stderr io.Writer) error {
	if _, err := checkOut("-o", out, "safetensors"); err != nil {
		return err
	}
	set, err := data.Load(spec, data.Options{})
	if err != nil {
		return fmt.Errorf("%s %s: %w", dataFlag, spec, err)
	}
	b, err := openBackend(backendName, stderr)
	if err != nil {
		return err
	}
	defer b.Finalize()
	return writeFeatureNet(b, set, out, stdout, stderr)
}

// writeFeatureNet trains set's feature network and writes it to out.
func writeFeatureNet(b *backend.Backend, set *data.Set, out string, stdout, stderr io.Writer) error {
	r := features.DefaultRecipe
	net, err := features.Train(b, set, r, vae.FeatureProgress(stderr, r.Steps))
	if err != nil {
		return fmt.Errorf("training the feature network on %s: %w", set.Name, err)
	}
	if err := net.Save(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: feature network for %s (%s, seed %d, %d steps of %d), test accuracy %.2f%%\n",
		out, set.Name, r.Architecture, r.Seed, r.Steps, r.Batch, 100*net.Accuracy)
	return nil
}

// printScores prints the report as a table.
func printScores(w io.Writer, r vae.Report) {
	fmt.Fprintf(w, "run %s (step %d): samples at temperature %g, seed %d, against the test split (%d images)\n",
		r.Run, r.Step, r.Temperature, r.Seed, r.Reference)
	fmt.Fprintf(w, "features: %s (test accuracy %.2f%%); latent's own scale, not comparable with Inception FIDs\n\n",
		r.Features, 100*r.Accuracy)
	width := 16 // of the name column: the longest row name (a kind's row may be longer)
	for _, row := range r.Rows {
		width = max(width, utf8.RuneCountInString(row.Name))
	}
	fmt.Fprintf(w, "%-*s %6s %9s %9s ± %7s %9s %7s %9s\n", width, "", "N", "FID", kidHeader, "std", "precision", "recall", "entropy")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "%-*s %6d %9.3f %9.4f ± %7.4f %9.3f %7.3f %9.3f\n", width, row.Name, row.N, row.FID,
			row.KID, row.KIDStd, row.Precision, row.Recall, row.Entropy)
	}
	fmt.Fprintf(w, "\nclass coverage (%% of each row's images the feature network puts in each class; entropy in nats, at most %.3f):\n",
		math.Log(float64(len(r.Classes))))
	fmt.Fprintf(w, "%-*s", width, "")
	for _, c := range r.Classes {
		fmt.Fprintf(w, " %5.5s", c)
	}
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "%-*s", width, row.Name)
		for _, p := range row.Shares {
			fmt.Fprintf(w, " %5.1f", 100*p)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "\nrows: samples drawn from each prior (normal: N(0, T²I); "+prior.Either(prior.KindNames())+": fitted by latent prior fit);\n",
		"perfect prior: N training images picked at random, one posterior draw of each decoded: the aggregate posterior that priors are fitted to\n",
		"  (a prior that matched it exactly would score about this);\n",
		"reconstructions: the test split's posterior means, decoded, each paired with its own test image (below what any prior reaches);\n",
		"training split: N training images (the floor: two samples of the data itself);\n",
		kidLegend(), "\n")
}

// kidHeader heads the score table's KID column: KID as is, ×1, where
// papers print Inception KIDs ×10³.
const kidHeader = "KID×1"

// kidLegend says what scale the table's KID column is on.
func kidLegend() string {
	return fmt.Sprintf("%s: KID as is, not ×10³ as papers print Inception KIDs: the unbiased MMD² of the %d-d features, "+
		"kernel (x·y/%d + 1)³, mean ± std over 100 subsets", kidHeader, features.Dim, features.Dim)
}

// writeScoresJSON prints the report as indented JSON.
func writeScoresJSON(w io.Writer, r vae.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
