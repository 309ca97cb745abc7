package embedding

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// PCA is a principal component analysis of a set of points.
type PCA struct {
	Mean       []float64   // the points' mean, [d]
	Components [][]float64 // unit principal axes, largest variance first, [k][d]
	Variances  []float64   // the variance along each axis, [k]
}

// FitPCA finds the k principal axes of n points of dimension d, given as
// points[i*d+j], from the eigendecomposition of their covariance matrix.
// Each axis's sign is fixed so that its largest-magnitude coordinate is
// positive, so results do not flip between runs.
func FitPCA(points []float64, d, k int) (*PCA, error) {
	if d <= 0 || len(points)%d != 0 {
		return nil, fmt.Errorf("PCA: %d values are not a whole number of %d-dimensional points", len(points), d)
	}
	n := len(points) / d
	if n < 2 {
		return nil, fmt.Errorf("PCA: need at least 2 points, got %d", n)
	}
	if k <= 0 || k > d {
		return nil, fmt.Errorf("PCA: %d components asked of %d-dimensional points", k, d)
	}
	mean := make([]float64, d)
	for i := range n {
		for j := range d {
			mean[j] += points[i*d+j] / float64(n)
		}
	}
	cov := mat.NewSymDense(d, nil)
	for a := range d {
		for b := a; b < d; b++ {
			var s float64
			for i := range n {
				s += (points[i*d+a] - mean[a]) * (points[i*d+b] - mean[b])
			}
			cov.SetSym(a, b, s/float64(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, fmt.Errorf("PCA: the eigendecomposition of the %dx%d covariance did not converge", d, d)
	}
	values := eig.Values(nil)
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return values[order[i]] > values[order[j]] })
	p := &PCA{Mean: mean}
	for _, c := range order[:k] {
		axis := mat.Col(nil, c, &vectors)
		orient(axis)
		p.Components = append(p.Components, axis)
		p.Variances = append(p.Variances, max(0, values[c]))
	}
	return p, nil
}

// orient flips v so that its largest-magnitude coordinate is positive.
func orient(v []float64) {
	big := 0
	for i := range v {
		if abs(v[i]) > abs(v[big]) {
			big = i
		}
	}
	if v[big] < 0 {
		for i := range v {
			v[i] = -v[i]
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Project returns the coordinates of each of the points (given as in
// FitPCA) along p's components: [n][k].
func (p *PCA) Project(points []float64) [][]float64 {
	d := len(p.Mean)
	n := len(points) / d
	out := make([][]float64, n)
	for i := range n {
		out[i] = make([]float64, len(p.Components))
		for c, axis := range p.Components {
			var s float64
			for j := range d {
				s += (points[i*d+j] - p.Mean[j]) * axis[j]
			}
			out[i][c] = s
		}
	}
	return out
}
