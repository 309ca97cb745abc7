package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/vae"
)

// neighborsCommand defines `latent neighbors`'s flags on fs and returns its body, runNeighbors.
func neighborsCommand(fs *pflag.FlagSet) runFunc {
	f := evalFlags(fs, false)
	index := fs.Int("index", 0, "index of the query image in the test split (required)")
	byLabel := imageLabelFlag(fs, "the query")
	which := whichFlag(fs)
	k := fs.IntP("k", "k", 8, "number of neighbours")
	among := fs.String("among", "train", "split searched for neighbours: train or test (the query itself excluded)")
	out := outFlag(fs, "nn.png", "the query and its neighbours", formatPNG)
	scale := scaleFlag(fs)
	return func(args []string, stdout, stderr io.Writer) error {
		return runNeighbors(fs, args, stdout, stderr, f, index, byLabel, which, k, among, out, scale)
	}
}

// runNeighbors implements `latent neighbors`: a test image and its nearest
// neighbours in latent space (Euclidean distance between posterior means),
// searched among the training split by default, as one grid row, query first.
func runNeighbors(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	f evalCommon, index *int, byLabel *string, which, k *int, among, out *string, scale *int) error {
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	set := flagsSet(fs)
	if err := checkImagePick(set, *which); err != nil {
		return err
	}
	switch {
	case !set["index"] && !set["image-label"]:
		return usagef("--index: the query's index in the test split is required (or --image-label L: the first test image of class L)")
	case *index < 0:
		return usagef("--index %d: want ≥ 0", *index)
	case *k < 1 || *k > 256:
		return usagef("-k %d: want 1 to 256", *k)
	case *among != "train" && *among != "test":
		return usagef("--among %q: want train or test", *among)
	}
	if err := vae.CheckScale(*scale); err != nil {
		return err
	}
	if _, err := checkOut("-o", *out, formatPNG); err != nil {
		return err
	}
	s, ds, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.NeighborsOf(ds, test, *index, *byLabel, *which, *k, *among == "test", *f.batch)
	if err != nil {
		return err
	}
	pool, poolName, found := r.Pool, r.PoolName, r.Found
	*index = r.Index
	m := s.run.Config.Model
	if err := vae.CheckGridSize(1+len(found), m.Height, m.Width, *scale, "-k and --scale"); err != nil {
		return err
	}
	img := r.Row(test, *scale)
	if err := writePNG(*out, stdout, img); err != nil {
		return err
	}
	summary := summaryTo(*out, stdout, stderr)
	fmt.Fprintf(summary, "wrote %s: test image %d (label %s), then its %d nearest %s images in latent space\n",
		outName(*out), *index, ds.LabelName(test.Labels[*index]), len(found), poolName)
	for r, nb := range found {
		fmt.Fprintf(summary, "%3d. %s image %d (label %s), distance %.4f\n",
			r+1, poolName, nb.Index, ds.LabelName(pool.Labels[nb.Index]), nb.Distance)
	}
	return nil
}
