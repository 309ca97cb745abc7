package score

import (
	"slices"

	"github.com/latent-vae/latent/internal/parallel"
)

// block is how many rows of a distance matrix are held at once.
const block = 1024

// sqNorms returns each vector's squared length.
func sqNorms(f Features) []float64 {
	out := make([]float64, f.N)
	for i := range f.N {
		for _, v := range f.row(i) {
			out[i] += v * v
		}
	}
	return out
}

// eachDistances calls fn with blocks of the squared distances between x's
// vectors and y's: rows [from, from+rows) of x against every vector of y,
// row-major (|x|² + |y|² − 2x·y, at least 0).
func eachDistances(x, y Features, fn func(from int, d []float64)) {
	nx, ny := sqNorms(x), sqNorms(y)
	for from := 0; from < x.N; from += block {
		to := min(from+block, x.N)
		d := gram(x.rows(from, to), y)
		for i := range to - from {
			row := d[i*y.N : (i+1)*y.N]
			for j, g := range row {
				row[j] = max(nx[from+i]+ny[j]-2*g, 0)
			}
		}
		fn(from, d)
	}
}

// kthRadii returns the squared distance of each vector of f to its k-th
// nearest other vector.
func kthRadii(f Features, k int) []float64 {
	radii := make([]float64, f.N)
	eachDistances(f, f, func(from int, d []float64) {
		parallel.Ranges(len(d)/f.N, func(_, lo, hi int) {
			nearest := make([]float64, 0, k+1)
			for i := lo; i < hi; i++ {
				nearest = nearest[:0]
				for j, v := range d[i*f.N : (i+1)*f.N] {
					if j == from+i {
						continue // itself
					}
					if len(nearest) < k || v < nearest[k-1] {
						at, _ := slices.BinarySearch(nearest, v)
						nearest = slices.Insert(nearest, at, v)
						if len(nearest) > k {
							nearest = nearest[:k]
						}
					}
				}
				radii[from+i] = nearest[k-1]
			}
		})
	})
	return radii
}

// precisionRecall returns the share of gen's vectors within the k-NN ball
// of some real vector (precision), and the share of real vectors within
// the k-NN ball of some generated vector (recall): Kynkäänniemi et al.
// 2019, with balls closed (distance ≤ radius).
func (r *Reference) precisionRecall(gen Features) (precision, recall float64) {
	genRadii := kthRadii(gen, r.opt.K)
	inReal := make([]bool, gen.N)
	parts := parallel.Workers()
	covered := make([][]bool, parts) // by part of each block's rows
	for p := range covered {
		covered[p] = make([]bool, r.real.N)
	}
	eachDistances(gen, r.real, func(from int, d []float64) {
		parallel.Ranges(len(d)/r.real.N, func(p, lo, hi int) {
			for i := lo; i < hi; i++ {
				for j, v := range d[i*r.real.N : (i+1)*r.real.N] {
					if v <= r.radii[j] {
						inReal[from+i] = true
					}
					if v <= genRadii[from+i] {
						covered[p][j] = true
					}
				}
			}
		})
	})
	return share(inReal), share(covered...)
}

// share returns the share of positions true in any of flags (of one length).
func share(flags ...[]bool) float64 {
	n := 0
	for j := range flags[0] {
		for _, f := range flags {
			if f[j] {
				n++
				break
			}
		}
	}
	return float64(n) / float64(len(flags[0]))
}
