// Package eval measures trained VAEs: the negative ELBO and its terms,
// active units, the importance-weighted bound on the negative
// log-likelihood, and anomaly scores with their AUROC. The 2-D maps of
// latent codes and their nearest neighbours are package embedding's.
package eval

import (
	"fmt"
	"math"

	"github.com/latent-vae/latent/models"
)

// ActiveThreshold is the variance across the data of a unit's posterior mean
// above which the unit counts as active (Burda et al., 2016).
const ActiveThreshold = 0.01

// Result is a model's evaluation on a set of images. Every term is a mean
// over the images, in nats per image.
type Result struct {
	models.Losses // the negative ELBO and its terms, one z drawn per image
	// IWNLL is −log p(x) estimated with IWK importance samples; nil when
	// IWK is 0 (not measured).
	IWNLL       *float64 `json:"iw_nll"`
	IWK         int      `json:"iw_k"`
	ActiveUnits int      `json:"active_units"`
	// ActiveLayers counts the active units of each stochastic layer, the
	// top first, for models with more than one; nil otherwise.
	ActiveLayers []int `json:"active_layers,omitempty"`
	Latent       int   `json:"latent"`
	Images       int   `json:"images"`
	// Codes are a discrete latent's codes of the images, one grid of
	// indices (as float32) per image, encoded once with the draws' seed:
	// what the code usage counts and what a prior over the grids scores
	// (nil for a continuous latent).
	Codes []float32 `json:"-"`
}

// Evaluate measures m on images: the ELBO with one sampled z per image, the
// active units of the posterior means (a continuous latent's; none
// otherwise), a discrete latent's codes (Result.Codes) with, for a
// quantised model, their usage, and, when k > 0, the importance-
// weighted NLL with k samples. seed makes the draws repeatable. labels are
// the images' classes (see Model); a conditional model's numbers are of
// log p(x|y).
func Evaluate(m *Model, images []float32, labels []int, k int, seed int64) (*Result, error) {
	in, err := m.check(images, labels)
	if err != nil {
		return nil, err
	}
	n := in.n
	if k < 0 {
		return nil, fmt.Errorf("importance samples %d: want 0 (skip) or more", k)
	}
	kind := m.Config.Kind()
	var variances []float64 // of each dimension: a continuous latent's
	if models.Continuous(kind) {
		means, _, err := m.Encode(images, labels)
		if err != nil {
			return nil, err
		}
		variances = UnitVariances(means, kind.Code().Size())
	}
	losses, err := m.MeanELBO(images, labels, seed)
	if err != nil {
		return nil, err
	}
	r := &Result{Losses: losses, IWK: k, Latent: kind.Code().Size(), Images: n,
		ActiveUnits: ActiveUnits(variances, ActiveThreshold)}
	if models.Codebook(kind) > 0 {
		if r.Codes, err = m.Codes(images, labels, 1, seed, 1); err != nil {
			return nil, fmt.Errorf("the codes: %w", err)
		}
	}
	if models.Quantized(m.Config) {
		r.Perplexity, r.CodesUsed = Usage(r.Codes, m.Config.Codes())
	}
	if g := m.Config.Layers(); g > 1 && variances != nil {
		per := len(variances) / g
		for j := range g {
			r.ActiveLayers = append(r.ActiveLayers, ActiveUnits(variances[j*per:(j+1)*per], ActiveThreshold))
		}
	}
	if k > 0 {
		ll, err := m.LogLikelihood(images, labels, k, seed+1)
		if err != nil {
			return nil, err
		}
		nll := -Mean(ll)
		r.IWNLL = &nll
	}
	return r, nil
}

// UnitVariances returns the variance across the n codes (given flat
// [n*latent]) of each latent unit.
func UnitVariances(codes []float32, latent int) []float64 {
	n := len(codes) / latent
	mu, vars := make([]float64, latent), make([]float64, latent)
	if n < 2 {
		return vars
	}
	for i := range n {
		for u := range latent {
			mu[u] += float64(codes[i*latent+u]) / float64(n)
		}
	}
	for i := range n {
		for u := range latent {
			d := float64(codes[i*latent+u]) - mu[u]
			vars[u] += d * d / float64(n-1)
		}
	}
	return vars
}

// ActiveUnits counts the variances above threshold.
func ActiveUnits(variances []float64, threshold float64) int {
	active := 0
	for _, v := range variances {
		if v > threshold {
			active++
		}
	}
	return active
}

// Mean returns the mean of xs, summed in order (NaN for none).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
