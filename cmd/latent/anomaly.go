package main

import (
	"io"

	"github.com/latent-vae/latent/vae"
	"github.com/spf13/pflag"
)

// anomalyCommand defines `latent anomaly`'s flags on fs and returns its body, runAnomaly.
func anomalyCommand(fs *pflag.FlagSet) runFunc {
	f := evalFlags(fs, true)
	o := &vae.AnomalyOptions{}
	fs.StringVar(&o.OOD, "ood", "", "out-of-distribution data set whose test images are the positives of an AUROC")
	fs.IntVarP(&o.K, "k", "k", 32, "number of most anomalous images in the grid, each captioned index:label score (columns: a divisor of k when one fits)")
	out := outFlag(fs, "worst.png", "a grid of the most anomalous test images", formatPNG)
	csvPath := fs.String("csv", "", "write the scores (index,label,score, the highest score first) to this file instead of stdout")
	fs.IntVar(&o.Samples, "samples", 1, "draws of z per image averaged into its score")
	scale := scaleFlag(fs)
	return func(args []string, stdout, stderr io.Writer) error {
		o.Limit, o.Batch, o.Seed, o.Scale = *f.limit, *f.batch, *f.seed, *scale
		return runAnomaly(fs, args, stdout, stderr, f, *o, *out, *csvPath)
	}
}

// runAnomaly implements `latent anomaly` (vae.Session.AnomalyReport): each
// test image's score is its negative ELBO (reconstruction term averaged
// over --samples draws of z, plus the exact KL); the scores go out as CSV,
// the highest-scoring images as a grid, and with --ood the AUROC of
// telling the run's test images (negatives) from another set's
// (positives) by score.
func runAnomaly(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer, f evalCommon, o vae.AnomalyOptions, out, csvPath string) error {
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	if out == stdoutPath && csvPath == "" {
		return usagef("-o -: stdout carries the scores unless --csv names a file")
	}
	if _, err := checkOut("-o", out, formatPNG); err != nil {
		return err
	}
	if err := checkOutPath("--csv", csvPath); err != nil {
		return err
	}
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.AnomalyReport(set, test, o)
	if err != nil {
		return err
	}
	summary := summaryTo(out, stdout, stderr)
	if csvPath == "" {
		summary = stderr // stdout carries the CSV
	}
	if err := writePNG(out, stdout, r.Grid); err != nil {
		return err
	}
	if err := writeScores(csvPath, stdout, test.Labels, r.Scores); err != nil {
		return err
	}
	r.WriteSummary(summary, outName(out), csvPath)
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
