package vae

import (
	"fmt"
	"image"
	"io"

	"github.com/latent-vae/latent/data"
)

// NeighborOptions are what `latent neighbors` finds: the K nearest
// neighbours of test image Index (or of the Which-th test image of class
// ImageLabel) among the training split, or the test split when Among is
// "test", encoded in batches of Batch, drawn upscaled by Scale.
type NeighborOptions struct {
	Index, Which int
	ImageLabel   string
	K            int
	Among        string
	Batch, Scale int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o NeighborOptions) Check() error {
	switch {
	case o.Index < 0:
		return argErrorf("--index %d: want ≥ 0", o.Index)
	case o.Which < 0:
		return argErrorf("--which %d: want ≥ 0", o.Which)
	case o.K < 1 || o.K > 256:
		return argErrorf("-k %d: want 1 to 256", o.K)
	case o.Among != "train" && o.Among != "test":
		return argErrorf("--among %q: want train or test", o.Among)
	}
	return CheckScale(o.Scale)
}

// FindNeighbors finds the neighbours o describes in set, test being its
// test split as the caller limits it (NeighborsOf), and draws them in a
// row after the query (Row), after checking o and that the row fits in one
// picture.
func (s *Session) FindNeighbors(set *data.Set, test *data.Split, o NeighborOptions) (*NeighborSearch, image.Image, error) {
	if err := o.Check(); err != nil {
		return nil, nil, err
	}
	r, err := s.NeighborsOf(set, test, o.Index, o.ImageLabel, o.Which, o.K, o.Among == "test", o.Batch)
	if err != nil {
		return nil, nil, err
	}
	m := s.Model
	if err := CheckGridSize(1+len(r.Found), m.Height, m.Width, o.Scale, "-k and --scale"); err != nil {
		return nil, nil, err
	}
	return r, r.Row(test, o.Scale), nil
}

// WriteSummary writes the search of the test split test of set, whose row
// went to out, as `latent neighbors` reports it: the query, then each
// neighbour with its distance.
func (r *NeighborSearch) WriteSummary(w io.Writer, set *data.Set, test *data.Split, out string) {
	fmt.Fprintf(w, "wrote %s: test image %d (label %s), then its %d nearest %s images in latent space\n",
		out, r.Index, set.LabelName(test.Labels[r.Index]), len(r.Found), r.PoolName)
	for k, nb := range r.Found {
		fmt.Fprintf(w, "%3d. %s image %d (label %s), distance %.4f\n",
			k+1, r.PoolName, nb.Index, set.LabelName(r.Pool.Labels[nb.Index]), nb.Distance)
	}
}
