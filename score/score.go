// Package score measures how close a set of generated images is to a set of
// real ones, in the feature space of a network (see package features): the
// Fréchet distance (FID), the kernel distance (KID), precision and recall
// (Kynkäänniemi et al. 2019) and class coverage. Everything is computed in
// float64 on the host.
//
// The real side of every comparison is fixed (the test split), so it is
// prepared once in a Reference, and each generated set is compared with it.
package score

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
)

// Features are N feature vectors of D values, row by row.
type Features struct {
	N, D int
	X    []float64 // N*D
}

// ErrTooFew is wrapped by the error of a set of fewer than two features:
// no covariance, no nearest neighbour.
var ErrTooFew = errors.New("too few feature vectors")

// NewFeatures converts x, n rows of d values, to Features, refusing fewer
// than two rows, a length that is not n*d, and a value that is not finite
// (NaN or infinite: it would make every score a wrong number).
func NewFeatures(x []float32, n, d int) (Features, error) {
	switch {
	case n < 2:
		return Features{}, fmt.Errorf("%w: %d, want at least 2", ErrTooFew, n)
	case d < 1 || len(x) != n*d:
		return Features{}, fmt.Errorf("%d values are not %d feature vectors of %d", len(x), n, d)
	}
	f := Features{N: n, D: d, X: make([]float64, len(x))}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Features{}, fmt.Errorf("feature vector %d holds %v, want finite values", i/d, v)
		}
		f.X[i] = float64(v)
	}
	return f, nil
}

// row returns feature vector i.
func (f Features) row(i int) []float64 { return f.X[i*f.D : (i+1)*f.D] }

// rows returns vectors [from, to) as Features.
func (f Features) rows(from, to int) Features {
	return Features{N: to - from, D: f.D, X: f.X[from*f.D : to*f.D]}
}

// Options set how KID and precision/recall are computed.
type Options struct {
	KIDSubsets    int    // subsets KID averages over (default 100)
	KIDSubsetSize int    // images per subset, at most the smaller set's size (default 1000)
	Seed          uint64 // of the subsets
	K             int    // nearest neighbour that sets a ball's radius in precision and recall (default 3)
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.KIDSubsets == 0 {
		o.KIDSubsets = 100
	}
	if o.KIDSubsetSize == 0 {
		o.KIDSubsetSize = 1000
	}
	if o.K == 0 {
		o.K = 3
	}
	return o
}

// Scores are a generated set's distances to a Reference.
type Scores struct {
	N         int     // generated feature vectors
	FID       float64 // Fréchet distance
	KID       float64 // mean over subsets of the unbiased squared MMD, cubic polynomial kernel
	KIDStd    float64 // its standard deviation over the subsets (population, as torchmetrics)
	Precision float64 // share of generated vectors inside some real vector's k-NN ball
	Recall    float64 // share of real vectors inside some generated vector's k-NN ball
}

// Reference is the real side of every comparison, with what depends on it
// alone computed once: its moments, its k-NN radii and its KID subsets.
type Reference struct {
	real  Features
	opt   Options
	mom   moments
	radii []float64 // squared distance of each vector to its K-th nearest neighbour
	kid   realKID
}

// NewReference prepares real for comparisons.
func NewReference(real Features, opt Options) (*Reference, error) {
	opt = opt.withDefaults()
	if err := checkFeatures(real, "real"); err != nil {
		return nil, err
	}
	if opt.K < 1 || opt.K >= real.N {
		return nil, fmt.Errorf("k = %d nearest neighbours: want 1 to %d (the real set's size − 1)", opt.K, real.N-1)
	}
	if opt.KIDSubsets < 1 || opt.KIDSubsetSize < 2 {
		return nil, fmt.Errorf("KID: %d subsets of %d: want at least 1 subset of 2", opt.KIDSubsets, opt.KIDSubsetSize)
	}
	r := &Reference{real: real, opt: opt, mom: newMoments(real)}
	r.radii = kthRadii(real, opt.K)
	r.kid = newRealKID(real, opt)
	return r, nil
}

// Compare scores gen against the reference.
func (r *Reference) Compare(gen Features) (Scores, error) {
	if err := checkFeatures(gen, "generated"); err != nil {
		return Scores{}, err
	}
	if gen.D != r.real.D {
		return Scores{}, fmt.Errorf("generated features have %d dimensions, the real ones %d", gen.D, r.real.D)
	}
	if r.opt.K >= gen.N {
		return Scores{}, fmt.Errorf("%w: %d generated vectors for %d nearest neighbours", ErrTooFew, gen.N, r.opt.K)
	}
	s := Scores{N: gen.N}
	var err error
	if s.FID, err = frechet(newMoments(gen), r.mom); err != nil {
		return Scores{}, err
	}
	s.KID, s.KIDStd = r.kid.compare(gen)
	s.Precision, s.Recall = r.precisionRecall(gen)
	return s, nil
}

// checkFeatures refuses a set of fewer than two vectors or with a value
// that is not finite; what names the set.
func checkFeatures(f Features, what string) error {
	if f.N < 2 {
		return fmt.Errorf("%s features: %w: %d, want at least 2", what, ErrTooFew, f.N)
	}
	if f.D < 1 || len(f.X) != f.N*f.D {
		return fmt.Errorf("%s features: %d values are not %d vectors of %d", what, len(f.X), f.N, f.D)
	}
	for i, v := range f.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s features: vector %d holds %v, want finite values", what, i/f.D, v)
		}
	}
	return nil
}

// Coverage is how a classifier spreads a set over the classes.
type Coverage struct {
	Shares  []float64 // share of the set in each class
	Entropy float64   // of Shares, in nats; ln(classes) when even
}

// ClassCoverage returns the coverage of a set whose items the classifier put
// in classes (each in [0, numClasses)).
func ClassCoverage(classes []int, numClasses int) (Coverage, error) {
	if len(classes) == 0 || numClasses < 1 {
		return Coverage{}, fmt.Errorf("class coverage of %d items over %d classes: want at least one of each", len(classes), numClasses)
	}
	c := Coverage{Shares: make([]float64, numClasses)}
	for i, k := range classes {
		if k < 0 || k >= numClasses {
			return Coverage{}, fmt.Errorf("item %d: class %d, want 0 to %d", i, k, numClasses-1)
		}
		c.Shares[k]++
	}
	for k := range c.Shares {
		c.Shares[k] /= float64(len(classes))
	}
	c.Entropy = stat.Entropy(c.Shares)
	return c, nil
}
