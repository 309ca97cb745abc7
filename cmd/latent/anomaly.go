package main

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/vae"
	"github.com/spf13/pflag"
)

// anomalyCommand defines `latent anomaly`'s flags on fs and returns its body, runAnomaly.
func anomalyCommand(fs *pflag.FlagSet) runFunc {
	f := evalFlags(fs, true)
	ood := fs.String("ood", "", "out-of-distribution data set whose test images are the positives of an AUROC")
	k := fs.IntP("k", "k", 32, "number of most anomalous images in the grid, each captioned index:label score (columns: a divisor of k when one fits)")
	out := outFlag(fs, "worst.png", "a grid of the most anomalous test images", formatPNG)
	csvPath := fs.String("csv", "", "write the scores (index,label,score, the highest score first) to this file instead of stdout")
	samples := fs.Int("samples", 1, "draws of z per image averaged into its score")
	scale := scaleFlag(fs)
	return func(args []string, stdout, stderr io.Writer) error {
		return runAnomaly(fs, args, stdout, stderr, f, ood, k, out, csvPath, samples, scale)
	}
}

// runAnomaly implements `latent anomaly`: each test image's score is its
// negative ELBO (reconstruction term averaged over --samples draws of z,
// plus the exact KL); the scores go out as CSV, the highest-scoring images
// as a grid, and with --ood the AUROC of telling the run's test images
// (negatives) from another set's (positives) by score.
func runAnomaly(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	f evalCommon, ood *string, k *int, out, csvPath *string, samples, scale *int) error {
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	switch {
	case *k < 1 || *k > 4096:
		return usagef("-k %d: want 1 to 4096", *k)
	case *samples < 1 || *samples > 1000:
		return usagef("--samples %d: want 1 to 1000", *samples)
	case *out == stdoutPath && *csvPath == "":
		return usagef("-o -: stdout carries the scores unless --csv names a file")
	}
	if err := vae.CheckScale(*scale); err != nil {
		return err
	}
	if _, err := checkOut("-o", *out, formatPNG); err != nil {
		return err
	}
	if err := checkOutPath("--csv", *csvPath); err != nil {
		return err
	}
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	an, err := s.ScoreAnomalies(test, *ood, *f.limit, *f.batch, *samples, *f.seed)
	if err != nil {
		return err
	}
	scores, oodScores := an.Scores, an.OOD
	summary := summaryTo(*out, stdout, stderr)
	if *csvPath == "" {
		summary = stderr // stdout carries the CSV
	}
	worst := vae.MostAnomalous(scores, *k)
	m := s.run.Config.Model
	if err := vae.CheckGridSize(len(worst), m.Height, m.Width, *scale, "-k and --scale"); err != nil {
		return err
	}
	if err := writePNG(*out, stdout, vae.AnomalyGrid(set, test, scores, worst, *scale)); err != nil {
		return err
	}
	if err := writeScores(*csvPath, stdout, test.Labels, scores); err != nil {
		return err
	}
	fmt.Fprintf(summary, "scored %d test images of %s: mean negative ELBO %.3f nats (%d z samples each)\n",
		len(scores), set.Name, eval.Mean(scores), *samples)
	fmt.Fprintf(summary, "wrote %s: the %d highest scores, %.3f to %.3f, most anomalous first, each captioned index:label score\n",
		outName(*out), len(worst), scores[worst[0]], scores[worst[len(worst)-1]])
	if *csvPath != "" {
		fmt.Fprintf(summary, "wrote %s: index,label,score for each test image, highest score (most anomalous) first\n", *csvPath)
	}
	if oodScores == nil {
		return nil
	}
	fmt.Fprintf(summary, "AUROC %.4f: %s test images (%d, negatives, mean score %.3f) against %s test images (%d, positives, mean score %.3f)\n",
		an.AUROC, set.Name, len(scores), eval.Mean(scores), an.OODName, len(oodScores), eval.Mean(oodScores))
	return nil
}

// writeScores writes the scores as CSV (vae.WriteAnomalyCSV) to path, or
// to stdout when path is empty.
func writeScores(path string, stdout io.Writer, labels []int, scores []float64) error {
	write := func(w io.Writer) error { return vae.WriteAnomalyCSV(w, labels, scores) }
	if path == "" {
		return write(stdout)
	}
	return writeOutput(path, stdout, write)
}
