package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/vae"
)

// neighborsCommand defines `latent neighbors`'s flags on fs and returns its body, runNeighbors.
func neighborsCommand(fs *pflag.FlagSet) runFunc {
	f := evalFlags(fs, false)
	o := &vae.NeighborOptions{}
	fs.IntVar(&o.Index, "index", 0, "index of the query image in the test split (required)")
	byLabel := imageLabelFlag(fs, "the query")
	which := whichFlag(fs)
	fs.IntVarP(&o.K, "k", "k", 8, "number of neighbours")
	fs.StringVar(&o.Among, "among", "train", "split searched for neighbours: train or test (the query itself excluded)")
	out := outFlag(fs, "nn.png", "the query and its neighbours", formatPNG)
	scale := scaleFlag(fs)
	return func(args []string, stdout, stderr io.Writer) error {
		o.ImageLabel, o.Which, o.Batch, o.Scale = *byLabel, *which, *f.batch, *scale
		return runNeighbors(fs, args, stdout, stderr, f, *o, *out)
	}
}

// runNeighbors implements `latent neighbors` (vae.Session.FindNeighbors):
// a test image and its nearest neighbours in latent space (Euclidean
// distance between posterior means), searched among the training split by
// default, as one grid row, query first.
func runNeighbors(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer, f evalCommon, o vae.NeighborOptions, out string) error {
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	set := flagsSet(fs)
	if err := checkImagePick(set); err != nil {
		return err
	}
	if !set["index"] && !set["image-label"] {
		return usagef("--index: the query's index in the test split is required (or --image-label L: the first test image of class L)")
	}
	if err := o.Check(); err != nil {
		return err
	}
	if _, err := checkOut("-o", out, formatPNG); err != nil {
		return err
	}
	s, ds, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, img, err := s.FindNeighbors(ds, test, o)
	if err != nil {
		return err
	}
	if err := writePNG(out, stdout, img); err != nil {
		return err
	}
	r.WriteSummary(summaryTo(out, stdout, stderr), ds, test, outName(out))
	return nil
}
