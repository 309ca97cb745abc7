package score

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// moments are a set's feature mean and covariance (normalised by N−1, as
// numpy.cov and pytorch-fid).
type moments struct {
	mean []float64
	cov  *mat.SymDense
}

// newMoments returns f's mean and covariance.
func newMoments(f Features) moments {
	m := moments{mean: make([]float64, f.D)}
	for i := range f.N {
		for j, v := range f.row(i) {
			m.mean[j] += v
		}
	}
	for j := range m.mean {
		m.mean[j] /= float64(f.N)
	}
	centred := mat.NewDense(f.N, f.D, nil)
	for i := range f.N {
		for j, v := range f.row(i) {
			centred.Set(i, j, v-m.mean[j])
		}
	}
	m.cov = mat.NewSymDense(f.D, nil)
	m.cov.SymOuterK(1/float64(f.N-1), centred.T())
	return m
}

// frechet returns the Fréchet distance between the Gaussians of a and b:
// |μa − μb|² + tr(Σa) + tr(Σb) − 2 tr((Σa^½ Σb Σa^½)^½), the square roots
// taken through symmetric eigendecompositions (eigenvalues below zero, from
// rounding, count as zero).
func frechet(a, b moments) (float64, error) {
	var d2 float64
	for j := range a.mean {
		d := a.mean[j] - b.mean[j]
		d2 += d * d
	}
	rootA, err := symSqrt(a.cov)
	if err != nil {
		return 0, err
	}
	var inner mat.Dense
	inner.Product(rootA, b.cov, rootA)
	n := inner.RawMatrix().Rows
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ { // symmetric up to rounding: average the halves
			sym.SetSym(i, j, (inner.At(i, j)+inner.At(j, i))/2)
		}
	}
	vals, err := eigenvalues(sym)
	if err != nil {
		return 0, err
	}
	var trRoot float64
	for _, v := range vals {
		trRoot += math.Sqrt(max(v, 0))
	}
	return d2 + mat.Trace(a.cov) + mat.Trace(b.cov) - 2*trRoot, nil
}

// symSqrt returns the square root of the positive semi-definite s.
func symSqrt(s *mat.SymDense) (*mat.Dense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, fmt.Errorf("FID: the eigendecomposition of a %d×%d covariance did not converge", s.SymmetricDim(), s.SymmetricDim())
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	vals := eig.Values(nil)
	n := len(vals)
	scaled := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			scaled.Set(i, j, vecs.At(i, j)*math.Sqrt(max(vals[j], 0)))
		}
	}
	var root mat.Dense
	root.Mul(scaled, vecs.T())
	return &root, nil
}

// eigenvalues returns the eigenvalues of s.
func eigenvalues(s *mat.SymDense) ([]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil, fmt.Errorf("FID: the eigendecomposition of a %d×%d matrix did not converge", s.SymmetricDim(), s.SymmetricDim())
	}
	return eig.Values(nil), nil
}
