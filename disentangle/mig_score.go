package disentangle

import (
	"slices"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// MIGResult is the mutual information gap and what it is computed from.
type MIGResult struct {
	Score     float64    // mean of PerFactor: the library's discrete_mig
	PerFactor []float64  // (largest − second largest MI) / entropy, per factor
	MI        *mat.Dense // [D, F] mutual information in nats, as MutualInfo
	Entropy   []float64  // each factor's entropy in nats
}

// MIG returns the mutual information gap (Chen et al. 2018) of s as
// disentanglement_lib's mig.py computes it: each code dimension discretised
// into Bins (20) equal-width bins over its range in s, the mutual
// information with each factor in nats, and per factor the gap between the
// two largest, divided by the factor's entropy, averaged over factors. The
// library scores 10000 images drawn by Draw, with no train/test split.
// Unlike the library, a factor that is constant in s (entropy 0, where the
// library divides by zero) and a single code dimension (no second largest)
// are errors.
func MIG(s Set) (MIGResult, error) {
	mi, err := MutualInfo(s, Bins)
	if err != nil {
		return MIGResult{}, errors.Wrap(err, "MIG")
	}
	d, F := mi.Dims()
	if d < 2 {
		return MIGResult{}, errors.Errorf("MIG needs 2 code dimensions or more, not %d", d)
	}
	r := MIGResult{PerFactor: make([]float64, F), MI: mi, Entropy: Entropies(s.Factors)}
	for f := range F {
		if r.Entropy[f] == 0 {
			return MIGResult{}, errors.Errorf("MIG: factor %d takes one value in the %d images", f, s.Factors.Len())
		}
		top1, top2 := topTwo(mat.Col(nil, f, mi))
		r.PerFactor[f] = (top1 - top2) / r.Entropy[f]
		r.Score += r.PerFactor[f] / float64(F)
	}
	return r, nil
}

// topTwo returns the largest and second largest of x (len ≥ 2).
func topTwo(x []float64) (first, second float64) {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)-1], s[len(s)-2]
}

// Carrier says which code dimension carries a factor.
type Carrier struct {
	Factor int
	Dim    int     // the dimension with the largest MI with the factor
	Share  float64 // that MI divided by the factor's entropy, in [0, 1]
	Gap    float64 // Share less the next dimension's: MIG's per-factor term
}

// Carriers returns, for each factor, the dimension with the largest mutual
// information with it, normalised by the factor's entropy (mi and entropy
// as MIGResult holds them). A factor of entropy 0 gets Dim −1.
func Carriers(mi *mat.Dense, entropy []float64) []Carrier {
	d, F := mi.Dims()
	out := make([]Carrier, F)
	for f := range F {
		out[f] = Carrier{Factor: f, Dim: -1}
		if entropy[f] == 0 {
			continue
		}
		col := mat.Col(nil, f, mi)
		out[f].Dim = argmax(col)
		out[f].Share = col[out[f].Dim] / entropy[f]
		if d > 1 {
			top1, top2 := topTwo(col)
			out[f].Gap = (top1 - top2) / entropy[f]
		}
	}
	return out
}

// DimensionFactors returns, for each code dimension, the factor it shares
// the largest normalised mutual information MI/entropy with (for naming a
// traversal's rows) and that share; factors of entropy 0 are skipped and a
// dimension with no factor gets −1.
func DimensionFactors(mi *mat.Dense, entropy []float64) (factor []int, share []float64) {
	d, F := mi.Dims()
	factor, share = make([]int, d), make([]float64, d)
	for j := range d {
		factor[j] = -1
		for f := range F {
			if entropy[f] > 0 && (factor[j] < 0 || mi.At(j, f)/entropy[f] > share[j]) {
				factor[j], share[j] = f, mi.At(j, f)/entropy[f]
			}
		}
	}
	return factor, share
}

// argmax returns the index of the first largest element of x.
func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
