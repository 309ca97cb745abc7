package serve

import (
	"cmp"
	"fmt"
	"slices"
	"sort"

	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/eval"
)

// projection places latent codes on the 2-D map and maps map positions
// back to codes: code = Origin + x·Axes[0] + y·Axes[1]. For a 2-D latent
// the map is the latent itself; above two dimensions its axes are the first
// two principal components of the test set's means, and the way back sets
// every other component to its mean.
type projection struct {
	Kind           string // "" (linear), or MapTSNE or MapUMAP: no axes
	How            string
	XLabel, YLabel string
	Origin         []float64
	Axes           [][]float64 // [2][latent]
}

// newProjection fits the map of means (flat [n*latent]).
func newProjection(means []float32, latent int) (*projection, error) {
	unit := func(i int) []float64 {
		v := make([]float64, latent)
		if i < latent {
			v[i] = 1
		}
		return v
	}
	switch latent {
	case 1:
		return &projection{How: "the 1-D latent along x", XLabel: "z1", YLabel: "(none)",
			Origin: make([]float64, 1), Axes: [][]float64{unit(0), unit(1)}}, nil
	case 2:
		return &projection{How: "the 2-D latent as it is", XLabel: "z1", YLabel: "z2",
			Origin: make([]float64, 2), Axes: [][]float64{unit(0), unit(1)}}, nil
	}
	pca, err := embedding.FitPCA(toFloat64(means), latent, 2)
	if err != nil {
		return nil, fmt.Errorf("principal components of the latent means: %w", err)
	}
	var total float64
	for _, v := range eval.UnitVariances(means, latent) {
		total += v
	}
	share := func(c int) float64 { return 100 * pca.Variances[c] / max(total, 1e-300) }
	return &projection{
		How:    fmt.Sprintf("first two principal components of the %d-D latent means", latent),
		XLabel: fmt.Sprintf("PC1 (%.1f%% of the variance)", share(0)),
		YLabel: fmt.Sprintf("PC2 (%.1f%% of the variance)", share(1)),
		Origin: pca.Mean, Axes: pca.Components,
	}, nil
}

// project returns the map position of each code (flat [n*latent]).
func (p *projection) project(codes []float32) [][2]float64 {
	d := len(p.Origin)
	out := make([][2]float64, len(codes)/d)
	for i := range out {
		for a, axis := range p.Axes {
			var s float64
			for j := range d {
				s += (float64(codes[i*d+j]) - p.Origin[j]) * axis[j]
			}
			out[i][a] = s
		}
	}
	return out
}

// dim is one latent dimension as the sliders show it.
type dim struct {
	Index    int     `json:"index"`
	Label    string  `json:"label"`
	Variance float64 `json:"variance"` // of the test set's posterior means
	Active   bool    `json:"active"`   // Variance above eval.ActiveThreshold
}

// dimsByActivity lists the latent dimensions by the variance of the means
// (flat [n*latent]) across the test set, most active first; ties by index.
func dimsByActivity(means []float32, latent int) []dim {
	vars := eval.UnitVariances(means, latent)
	dims := make([]dim, latent)
	for i, v := range vars {
		dims[i] = dim{Index: i, Label: fmt.Sprintf("z%d", i+1), Variance: v, Active: v > eval.ActiveThreshold}
	}
	slices.SortStableFunc(dims, func(a, b dim) int { return cmp.Compare(b.Variance, a.Variance) })
	return dims
}

// percentile is the percentage of sorted (ascending) at or below x.
func percentile(sorted []float64, x float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	at := sort.Search(len(sorted), func(i int) bool { return sorted[i] > x })
	return 100 * float64(at) / float64(len(sorted))
}

func toFloat64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
