package disentangle

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// Factors holds the discrete factor values of N images: Values[i*F+f] is
// image i's value of factor f, an integer in [0, Sizes[f]).
type Factors struct {
	Sizes  []int // number of values of each factor; F = len(Sizes)
	Values []int // N × F, row-major
}

// NumFactors returns F, the number of factors.
func (fs Factors) NumFactors() int { return len(fs.Sizes) }

// Len returns N, the number of images.
func (fs Factors) Len() int {
	if len(fs.Sizes) == 0 {
		return 0
	}
	return len(fs.Values) / len(fs.Sizes)
}

// At returns image i's value of factor f.
func (fs Factors) At(i, f int) int { return fs.Values[i*len(fs.Sizes)+f] }

// Column returns factor f's values, one per image.
func (fs Factors) Column(f int) []int {
	col := make([]int, fs.Len())
	for i := range col {
		col[i] = fs.At(i, f)
	}
	return col
}

// Validate reports an empty or ragged table, a size below 1 or a value out
// of its factor's range.
func (fs Factors) Validate() error {
	F := len(fs.Sizes)
	if F == 0 {
		return errors.New("no factors")
	}
	if len(fs.Values)%F != 0 {
		return errors.Errorf("%d factor values are not a multiple of %d factors", len(fs.Values), F)
	}
	for f, s := range fs.Sizes {
		if s < 1 {
			return errors.Errorf("factor %d has %d values", f, s)
		}
	}
	for i, v := range fs.Values {
		if v < 0 || v >= fs.Sizes[i%F] {
			return errors.Errorf("image %d: factor %d is %d, outside [0, %d)", i/F, i%F, v, fs.Sizes[i%F])
		}
	}
	return nil
}

// Set is the codes [N, D] of N images and their factors.
type Set struct {
	Codes   *mat.Dense
	Factors Factors
}

// Validate reports factors that Factors.Validate rejects, a row count that
// differs from the factors', no rows, or a code that is not finite.
func (s Set) Validate() error {
	if err := s.Factors.Validate(); err != nil {
		return errors.Wrap(err, "factors")
	}
	if s.Codes == nil {
		return errors.New("no codes")
	}
	n, d := s.Codes.Dims()
	if n != s.Factors.Len() || n == 0 {
		return errors.Errorf("%d code rows for %d factor rows", n, s.Factors.Len())
	}
	for i := range n {
		for j := range d {
			if v := s.Codes.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return errors.Errorf("code %d, dimension %d is %v", i, j, v)
			}
		}
	}
	return nil
}

// Split returns the first ceil(N·trainFraction) images and the rest, as
// disentanglement_lib's utils.split_train_test does for its *_on_fixed_data
// scores. Both parts share s's storage.
func (s Set) Split(trainFraction float64) (train, test Set, err error) {
	if err := s.Validate(); err != nil {
		return Set{}, Set{}, errors.Wrap(err, "split")
	}
	n, d := s.Codes.Dims()
	k := int(math.Ceil(float64(n) * trainFraction))
	if !(trainFraction > 0) || k >= n {
		return Set{}, Set{}, errors.Errorf("train fraction %v of %d images leaves no train or no test images", trainFraction, n)
	}
	F := s.Factors.NumFactors()
	part := func(lo, hi int) Set {
		return Set{Codes: s.Codes.Slice(lo, hi, 0, d).(*mat.Dense),
			Factors: Factors{Sizes: s.Factors.Sizes, Values: s.Factors.Values[lo*F : hi*F]}}
	}
	return part(0, k), part(k, n), nil
}

// Sampler turns factor values into codes: it renders (or picks) an image
// for each row of factors and encodes it. It plays the part of
// disentanglement_lib's GroundTruthData.sample_observations_from_factors
// followed by the representation function. Encode may get many rows at once
// (up to a few thousand) and batches them as its encoder needs; rng is for
// samplers whose images are random given the factors.
type Sampler interface {
	// Sizes returns the number of values of each factor.
	Sizes() []int
	// Encode returns the codes [factors.Len(), D] of images with the given
	// factor values, D the same on every call.
	Encode(rng *rand.Rand, factors Factors) (*mat.Dense, error)
}

// SampleFactors draws n images' factors, each factor uniform over its
// values and independent of the others, as the library's sample_factors
// does for dSprites.
func SampleFactors(rng *rand.Rand, sizes []int, n int) Factors {
	F := len(sizes)
	fs := Factors{Sizes: sizes, Values: make([]int, n*F)}
	for i := range fs.Values {
		fs.Values[i] = rng.IntN(sizes[i%F])
	}
	return fs
}

// Draw returns n images with factors drawn by SampleFactors and encoded by
// s: disentanglement_lib's generate_batch_factor_code, which MIG, SAP and
// DCI score (10000 images for each; SAP and DCI draw a second set of 5000
// to test on).
func Draw(rng *rand.Rand, s Sampler, n int) (Set, error) {
	if n < 1 {
		return Set{}, errors.Errorf("draw of %d images", n)
	}
	fs := SampleFactors(rng, s.Sizes(), n)
	codes, err := s.Encode(rng, fs)
	if err != nil {
		return Set{}, errors.Wrap(err, "encoding drawn images")
	}
	set := Set{Codes: codes, Factors: fs}
	return set, errors.Wrap(set.Validate(), "drawn set")
}
