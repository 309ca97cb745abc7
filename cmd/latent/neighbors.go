package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// neighborsCommand defines `latent neighbors`'s flags on fs and returns its body, runNeighbors.
func neighborsCommand(fs *pflag.FlagSet) cli.RunFunc {
	f := evalFlags(fs, false)
	o := &vae.NeighborOptions{}
	fs.IntVar(&o.Index, "index", 0, "index of the query image in the test split (required)")
	byLabel := imageLabelFlag(fs, "the query")
	which := whichFlag(fs)
	fs.IntVarP(&o.K, "k", "k", 8, "number of neighbours")
	fs.StringVar(&o.Among, "among", "train", "split searched for neighbours: train or test (the query itself excluded)")
	out := cli.OutFlag(fs, "nn.png", "the query and its neighbours", cli.FormatPNG)
	scale := scaleFlag(fs)
	return func(_ []string, stdout, stderr io.Writer) error {
		o.ImageLabel, o.Which, o.Batch, o.Scale = *byLabel, *which, *f.batch, *scale
		return runNeighbors(cli.Given(fs), stdout, stderr, f, *o, *out)
	}
}

// runNeighbors implements `latent neighbors` (vae.Session.FindNeighbors):
// a test image and its nearest neighbours in latent space (Euclidean
// distance between posterior means), searched among the training split by
// default, as one grid row, query first. set holds the flags given.
func runNeighbors(set map[string]bool, stdout, stderr io.Writer, f evalCommon, o vae.NeighborOptions, out string) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := vae.CheckImagePick(set); err != nil {
		return err
	}
	if !set["index"] && !set["image-label"] {
		return cli.Usagef("--index: the query's index in the test split is required (or --image-label L: the first test image of class L)")
	}
	if err := o.Check(); err != nil {
		return err
	}
	if _, err := cli.CheckOut("-o", out, ownFile, cli.FormatPNG); err != nil {
		return err
	}
	s, ds, test, err := f.open(stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, img, err := s.FindNeighbors(ds, test, o)
	if err != nil {
		return err
	}
	if err := cli.WritePNG(out, stdout, img); err != nil {
		return err
	}
	r.WriteSummary(cli.SummaryTo(out, stdout, stderr), ds, test, cli.OutName(out))
	return nil
}
