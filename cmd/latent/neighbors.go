package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
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
	if err := checkScale(*scale); err != nil {
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
	if *byLabel != "" {
		if *index, err = pickByLabel(test, ds.Classes, "--image-label", *byLabel, *which); err != nil {
			return err
		}
	}
	if *index >= test.N {
		return fmt.Errorf("--index %d: out of range: the test split of %s has %d images (0 to %d)", *index, ds.Name, test.N, test.N-1)
	}
	pool, poolName := ds.Train, "training"
	if *among == "test" {
		pool, poolName = test, "test"
	}
	model, err := s.EvalModel(*f.batch)
	if err != nil {
		return err
	}
	found, err := latentNeighbors(model, test.Image(*index), test.Labels[*index], pool, *k, *among == "test", *index)
	if err != nil {
		return err
	}
	m := s.run.Config.Model
	row := append([]float32(nil), test.Image(*index)...)
	for _, nb := range found {
		row = append(row, pool.Image(nb.Index)...)
	}
	if err := checkGridSize(1+len(found), m.Height, m.Width, *scale, "-k and --scale"); err != nil {
		return err
	}
	img := generate.Grid(row, 1+len(found), m.Height, m.Width, m.Channels, 1+len(found), *scale)
	if err := writePNG(*out, stdout, img); err != nil {
		return err
	}
	summary := summaryTo(*out, stdout, stderr)
	fmt.Fprintf(summary, "wrote %s: test image %d (label %s), then its %d nearest %s images in latent space\n",
		outName(*out), *index, labelName(ds, test.Labels[*index]), len(found), poolName)
	for r, nb := range found {
		fmt.Fprintf(summary, "%3d. %s image %d (label %s), distance %.4f\n",
			r+1, poolName, nb.Index, labelName(ds, pool.Labels[nb.Index]), nb.Distance)
	}
	return nil
}

// latentNeighbors returns the k images of pool whose posterior means are
// nearest query's (of class label), leaving out pool image self when
// exclude is set. Images are encoded with their labels, which an
// unconditional model ignores.
func latentNeighbors(m *eval.Model, query []float32, label int, pool *data.Split, k int, exclude bool, self int) ([]embedding.Neighbor, error) {
	q, _, err := m.Encode(query, []int{label})
	if err != nil {
		return nil, fmt.Errorf("encoding the query: %w", err)
	}
	codes, _, err := m.Encode(pool.Images(), pool.Labels)
	if err != nil {
		return nil, fmt.Errorf("encoding the searched split: %w", err)
	}
	extra := 0
	if exclude {
		extra = 1
	}
	found, err := embedding.Nearest(q, codes, k+extra)
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, nb := range found {
		if !(exclude && nb.Index == self) && len(out) < k {
			out = append(out, nb)
		}
	}
	return out, nil
}

// labelName names a label by the set's classes, or by its number.
func labelName(set *data.Set, l int) string {
	if l >= 0 && l < len(set.Classes) {
		return set.Classes[l]
	}
	return strconv.Itoa(l)
}
