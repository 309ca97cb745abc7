package vae

import (
	"fmt"
	"sort"

	"github.com/latent-vae/latent/eval"
)

// AnomalyScores returns each image's negative ELBO. A conditional model's
// score needs no label: it is −log of the mean over the classes of
// exp(ELBO(x, y)), a bound on −log p(x) under a uniform class prior (each
// ELBO bounds log p(x|y)), so images of other sets, whose labels mean
// nothing to the model, are scored the same way.
func AnomalyScores(m *eval.Model, images []float32, samples int, seed int64) ([]float64, error) {
	n := len(images) / m.ImageSize()
	classes := max(m.Config.Classes, 1)
	elbos := make([][]float64, n) // per image, per class
	for c := range classes {
		var labels []int
		if m.Config.Conditional() {
			labels = RepeatLabel(c, n)
		}
		recon, kl, err := m.ELBO(images, labels, samples, seed)
		if err != nil {
			return nil, fmt.Errorf("scoring: %w", err)
		}
		for i := range recon {
			elbos[i] = append(elbos[i], -(recon[i] + kl[i]))
		}
	}
	scores := make([]float64, n)
	for i, e := range elbos {
		scores[i] = -eval.LogMeanExp(e)
	}
	return scores, nil
}

// MostAnomalous returns the indices of the k highest scores, highest first
// (ties by index).
func MostAnomalous(scores []float64, k int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx[:min(k, len(idx))]
}
