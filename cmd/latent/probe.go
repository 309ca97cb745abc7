package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// probeCommand defines `latent probe`'s flags on fs and returns its body, runProbe.
func probeCommand(fs *pflag.FlagSet) cli.RunFunc {
	f := evalFlags(fs, true)
	o := &vae.ProbeOptions{}
	fs.IntVar(&o.Labels, "labels", 100, "labelled training images in all, balanced across classes (100: 10 per class of MNIST, as M1 + TSVM)")
	fs.IntVar(&o.Draws, "draws", 10, "draws of the labelled images; errors are the mean ± std over them")
	fs.IntVarP(&o.K, "k", "k", 1, "neighbours the k-NN classifier votes among")
	fs.IntVar(&o.Spread.K, "spread-k", 10, "neighbours of each training code in label spreading's graph, and that a test code votes among (0: no label spreading)")
	fs.Float64Var(&o.Spread.Alpha, "spread-alpha", 0.99, "label spreading's α in (0, 1): F ← αSF + (1−α)Y")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	return func(_ []string, stdout, stderr io.Writer) error {
		o.Seed, o.Batch = *f.seed, *f.batch
		return runProbe(stdout, stderr, f, *o, *asJSON)
	}
}

// runProbe implements `latent probe` (vae.Session.Probe): logistic
// regression and k-NN trained on a few labelled training images' codes and
// pixels, and label spreading over every training image's code, tested on
// the test split.
func runProbe(stdout, stderr io.Writer, f evalCommon, o vae.ProbeOptions, asJSON bool) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	s, set, test, err := f.open(stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Probe(set, test, o)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, r)
	}
	return r.WriteText(stdout)
}
