package generate

import "gonum.org/v1/gonum/stat/distuv"

// Manifold returns the codes of an n×n grid over a 2-D latent, row-major:
// z1 rises across the columns and z2 falls down the rows (the largest at
// the top, as on a plot's axis), both through values, the standard normal
// quantiles of n probabilities evenly spaced from lo to hi (as in Keras's
// VAE example, 0.05 to 0.95), which it also returns in increasing order.
// n must be at least 2 and 0 < lo < hi < 1.
func Manifold(n int, lo, hi float64) (codes []float32, values []float64) {
	values = make([]float64, n)
	for i := range values {
		values[i] = distuv.UnitNormal.Quantile(lo + (hi-lo)*float64(i)/float64(n-1))
	}
	codes = make([]float32, 0, 2*n*n)
	for r := range n {
		for c := range n {
			codes = append(codes, float32(values[c]), float32(values[n-1-r]))
		}
	}
	return codes, values
}
