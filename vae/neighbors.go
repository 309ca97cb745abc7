package vae

import (
	"fmt"
	"image"

	"github.com/latent-vae/latent/generate"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/embedding"
)

// Neighbors returns the k images of pool whose points under encode (a
// run's posterior means, or a vq run's quantised vectors) are nearest
// query's (an image of class label), by Euclidean distance, the nearest
// first, leaving out pool image self when exclude is set (a query
// searched among its own split). Images are encoded with their labels,
// which an unconditional model ignores.
func Neighbors(encode PointsFunc, query []float32, label int, pool *data.Split, k int, exclude bool, self int) ([]embedding.Neighbor, error) {
	q, err := encode(query, []int{label})
	if err != nil {
		return nil, fmt.Errorf("encoding the query: %w", err)
	}
	codes, err := encode(pool.Images(), pool.Labels)
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

// NeighborSearch is a test image and its nearest neighbours in latent
// space, found by Session.NeighborsOf.
type NeighborSearch struct {
	Index    int                  // the query's index in the test split
	Pool     *data.Split          // the split searched
	PoolName string               // "training" or "test"
	Found    []embedding.Neighbor // the nearest first
}

// NeighborsOf finds the k nearest neighbours in latent space (Neighbors,
// encoded in batches of batch) of test image index of set (or, when
// byLabel is given, of the which-th test image of that class), among
// set's training split, or its test split (without the query) when
// amongTest. test is set's test split as the command limits it.
func (s *Session) NeighborsOf(set *data.Set, test *data.Split, index int, byLabel string, which, k int, amongTest bool, batch int) (*NeighborSearch, error) {
	var err error
	if byLabel != "" {
		if index, err = PickByLabel(test, set.Classes, "--image-label", byLabel, which); err != nil {
			return nil, err
		}
	}
	if index >= test.N {
		return nil, fmt.Errorf("--index %d: out of range: the test split of %s has %d images (0 to %d)", index, set.Name, test.N, test.N-1)
	}
	r := &NeighborSearch{Index: index, Pool: set.Train, PoolName: "training"}
	if amongTest {
		r.Pool, r.PoolName = test, "test"
	}
	points, _, err := s.latentPoints(batch, "neighbors")
	if err != nil {
		return nil, err
	}
	if r.Found, err = Neighbors(points, test.Image(index), test.Labels[index], r.Pool, k, amongTest, index); err != nil {
		return nil, err
	}
	return r, nil
}

// Row draws the query (of test) and its neighbours as one row of images,
// upscaled by scale.
func (r *NeighborSearch) Row(test *data.Split, scale int) image.Image {
	row := append([]float32(nil), test.Image(r.Index)...)
	for _, nb := range r.Found {
		row = append(row, r.Pool.Image(nb.Index)...)
	}
	n := 1 + len(r.Found)
	return generate.Grid(row, n, test.Height, test.Width, test.Channels, n, scale)
}
