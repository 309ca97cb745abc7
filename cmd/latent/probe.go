package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/vae"
)

// probeCommand defines `latent probe`'s flags on fs and returns its body, runProbe.
func probeCommand(fs *pflag.FlagSet) runFunc {
	f := evalFlags(fs, true)
	o := &vae.ProbeOptions{}
	fs.IntVar(&o.Labels, "labels", 100, "labelled training images in all, balanced across classes (100: 10 per class of MNIST, as M1 + TSVM)")
	fs.IntVar(&o.Draws, "draws", 10, "draws of the labelled images; errors are the mean ± std over them")
	fs.IntVarP(&o.K, "k", "k", 1, "neighbours the k-NN classifier votes among")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	return func(args []string, stdout, stderr io.Writer) error {
		o.Seed, o.Batch = *f.seed, *f.batch
		return runProbe(fs, args, stdout, stderr, f, *o, *asJSON)
	}
}

// runProbe implements `latent probe` (vae.Session.Probe): logistic
// regression and k-NN trained on a few labelled training images' codes and
// pixels, tested on the test split.
func runProbe(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer, f evalCommon, o vae.ProbeOptions, asJSON bool) error {
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.Probe(set, test, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(stdout)
}
