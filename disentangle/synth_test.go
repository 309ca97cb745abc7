package disentangle

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// synth is a Sampler whose codes are the factors scaled to [0, 1], times
// mix [F, D], plus Gaussian noise of standard deviation noise.
type synth struct {
	sizes []int
	mix   *mat.Dense
	noise float64
}

func (s synth) Sizes() []int { return s.sizes }

func (s synth) Encode(rng *rand.Rand, fs Factors) (*mat.Dense, error) {
	F, n := len(s.sizes), fs.Len()
	if fs.NumFactors() != F {
		return nil, errors.Errorf("%d factors, want %d", fs.NumFactors(), F)
	}
	v := mat.NewDense(n, F, nil)
	for i := range n {
		for f, size := range s.sizes {
			if size > 1 {
				v.Set(i, f, float64(fs.At(i, f))/float64(size-1))
			}
		}
	}
	_, d := s.mix.Dims()
	codes := mat.NewDense(n, d, nil)
	codes.Mul(v, s.mix)
	for i := range n {
		for j := range d {
			codes.Set(i, j, codes.At(i, j)+s.noise*rng.NormFloat64())
		}
	}
	return codes, nil
}

// identity returns the F × F identity as a mix.
func identity(F int) *mat.Dense {
	m := mat.NewDense(F, F, nil)
	for i := range F {
		m.Set(i, i, 1)
	}
	return m
}

// rotation returns a random F × F rotation: the Q of a Gaussian matrix's QR.
func rotation(rng *rand.Rand, F int) *mat.Dense {
	g := mat.NewDense(F, F, nil)
	for i := range F {
		for j := range F {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	return &q
}
