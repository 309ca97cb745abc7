package vae

import (
	"fmt"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/eval"
)

// Neighbors returns the k images of pool whose posterior means under m are
// nearest query's (an image of class label), by Euclidean distance, the
// nearest first, leaving out pool image self when exclude is set (a query
// searched among its own split). Images are encoded with their labels,
// which an unconditional model ignores.
func Neighbors(m *eval.Model, query []float32, label int, pool *data.Split, k int, exclude bool, self int) ([]embedding.Neighbor, error) {
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
