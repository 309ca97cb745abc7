package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// anomalyCommand defines `latent anomaly`'s flags on fs and returns its body, runAnomaly.
func anomalyCommand(fs *pflag.FlagSet) cli.RunFunc {
	f := evalFlags(fs, true)
	o := &vae.AnomalyOptions{}
	fs.StringVar(&o.OOD, "ood", "", "out-of-distribution data set whose test images are the positives of an AUROC")
	fs.IntVarP(&o.K, "k", "k", 32, "number of most anomalous images in the grid, each captioned index:label score (columns: a divisor of k when one fits)")
	out := cli.OutFlag(fs, "worst.png", "a grid of the most anomalous test images", cli.FormatPNG)
	csvPath := fs.String("csv", "", "write the scores (index,label,score, the highest score first) to this file instead of stdout")
	fs.IntVar(&o.Samples, "samples", 1, "draws of z per image averaged into its score")
	scale := scaleFlag(fs)
	return func(_ []string, stdout, stderr io.Writer) error {
		o.Limit, o.Batch, o.Seed, o.Scale = *f.limit, *f.batch, *f.seed, *scale
		return runAnomaly(stdout, stderr, f, *o, *out, *csvPath)
	}
}

// runAnomaly implements `latent anomaly` (vae.Session.AnomalyReport): each
// test image's score is its negative ELBO (reconstruction term averaged
// over --samples draws of z, plus the exact KL); the scores go out as CSV,
// the highest-scoring images as a grid, and with --ood the AUROC of
// telling the run's test images (negatives) from another set's
// (positives) by score.
func runAnomaly(stdout, stderr io.Writer, f evalCommon, o vae.AnomalyOptions, out, csvPath string) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	if out == cli.Stdout && csvPath == "" {
		return cli.Usagef("-o -: stdout carries the scores unless --csv names a file")
	}
	if _, err := cli.CheckOut("-o", out, ownFile, cli.FormatPNG); err != nil {
		return err
	}
	if err := cli.CheckOutPath("--csv", csvPath, ownFile); err != nil {
		return err
	}
	s, set, test, err := f.open(stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.AnomalyReport(set, test, o)
	if err != nil {
		return err
	}
	summary := cli.SummaryTo(out, stdout, stderr)
	if csvPath == "" {
		summary = stderr // stdout carries the CSV
	}
	if err := cli.WritePNG(out, stdout, r.Grid); err != nil {
		return err
	}
	write := func(w io.Writer) error { return vae.WriteAnomalyCSV(w, test.Labels, r.Scores) }
	if csvPath == "" {
		err = write(stdout)
	} else {
		err = cli.WriteOutput(csvPath, stdout, write)
	}
	if err != nil {
		return err
	}
	r.WriteSummary(summary, cli.OutName(out), csvPath)
	return nil
}
