package vae

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/disentangle"
)

// imageRef is one image of a split.
type imageRef struct {
	split *data.Split
	i     int
}

// EncodeFunc returns the codes, flat [n·D], of n images (NHWC in [0, 1])
// with their labels.
type EncodeFunc func(images []float32, labels []int) ([]float32, error)

// FactorPool is the images of a data set's splits that carry factors,
// each combination of factor values indexed, as a FactorSource: it picks
// an image with the asked factor values (uniformly among those that have
// them) and encodes it. disentanglement_lib draws images of a ground-truth
// set the same way, from the whole set; latent pools both splits.
type FactorPool struct {
	names  []string
	sizes  []int
	refs   []imageRef
	byKey  map[int][]int // indices into refs, by factorKey
	encode EncodeFunc
	dim    int
}

// NewFactorPool indexes the images of splits (nil or factorless splits
// skipped) by their factors, which must agree in names and sizes; codes
// come from encode, dim values each. It refuses splits without factors.
func NewFactorPool(splits []*data.Split, encode EncodeFunc, dim int) (*FactorPool, error) {
	p := &FactorPool{byKey: map[int][]int{}, encode: encode, dim: dim}
	for _, sp := range splits {
		if sp == nil || sp.Factors == nil || sp.N == 0 {
			continue
		}
		fs := sp.Factors
		if err := fs.Check(sp.N); err != nil {
			return nil, err
		}
		if p.sizes == nil {
			p.names, p.sizes = fs.Names, fs.Sizes
		} else if !slices.Equal(p.names, fs.Names) || !slices.Equal(p.sizes, fs.Sizes) {
			return nil, fmt.Errorf("the splits' factors differ: %v of %v and %v of %v", p.names, p.sizes, fs.Names, fs.Sizes)
		}
		for i := range sp.N {
			k := p.key(fs.Row(i))
			p.byKey[k] = append(p.byKey[k], len(p.refs))
			p.refs = append(p.refs, imageRef{sp, i})
		}
	}
	if len(p.refs) == 0 {
		return nil, errors.New("no image carries factors")
	}
	return p, nil
}

// key returns a row of factor values as one mixed-radix number.
func (p *FactorPool) key(row []int) int {
	k := 0
	for f, v := range row {
		k = k*p.sizes[f] + v
	}
	return k
}

// Names returns the factors' names.
func (p *FactorPool) Names() []string { return p.names }

// Sizes returns each factor's number of values.
func (p *FactorPool) Sizes() []int { return p.sizes }

// Len returns the number of images pooled.
func (p *FactorPool) Len() int { return len(p.refs) }

// Grid reports whether every combination of factor values has an image.
func (p *FactorPool) Grid() bool {
	n := 1
	for _, s := range p.sizes {
		if n *= s; n > len(p.byKey) {
			return false
		}
	}
	return n == len(p.byKey)
}

// Encode returns the codes of one image for each row of fs, each picked
// uniformly among the images with the row's values; a row no image has is
// an error.
func (p *FactorPool) Encode(rng *rand.Rand, fs disentangle.Factors) (*mat.Dense, error) {
	if !slices.Equal(fs.Sizes, p.sizes) {
		return nil, fmt.Errorf("factor sizes %v, want %v", fs.Sizes, p.sizes)
	}
	F := len(p.sizes)
	picked := make([]int, fs.Len())
	for i := range picked {
		row := fs.Values[i*F : (i+1)*F]
		refs := p.byKey[p.key(row)]
		if len(refs) == 0 {
			return nil, fmt.Errorf("no image has the factor values %v", row)
		}
		picked[i] = refs[rng.IntN(len(refs))]
	}
	return p.codes(picked)
}

// Draw returns the codes and factors of n images drawn uniformly with
// replacement: on a full grid, n factor rows drawn uniformly
// (disentangle.Draw, the library's generate_batch_factor_code); otherwise
// n of the pooled images.
func (p *FactorPool) Draw(rng *rand.Rand, n int) (disentangle.Set, error) {
	if p.Grid() {
		return disentangle.Draw(rng, p, n)
	}
	F := len(p.sizes)
	picked := make([]int, n)
	fs := disentangle.Factors{Sizes: p.sizes, Values: make([]int, 0, n*F)}
	for i := range picked {
		picked[i] = rng.IntN(len(p.refs))
		r := p.refs[picked[i]]
		fs.Values = append(fs.Values, r.split.Factors.Row(r.i)...)
	}
	codes, err := p.codes(picked)
	if err != nil {
		return disentangle.Set{}, err
	}
	set := disentangle.Set{Codes: codes, Factors: fs}
	return set, set.Validate()
}

// codes encodes the pooled images at indices.
func (p *FactorPool) codes(indices []int) (*mat.Dense, error) {
	var images []float32
	labels := make([]int, len(indices))
	for i, k := range indices {
		r := p.refs[k]
		images = r.split.AppendImage(images, r.i)
		if r.i < len(r.split.Labels) {
			labels[i] = r.split.Labels[r.i]
		}
	}
	codes, err := p.encode(images, labels)
	if err != nil {
		return nil, err
	}
	if len(codes) != len(indices)*p.dim {
		return nil, fmt.Errorf("encoder returned %d values for %d images of %d dimensions", len(codes), len(indices), p.dim)
	}
	out := mat.NewDense(len(indices), p.dim, nil)
	for i, v := range codes {
		out.RawMatrix().Data[i] = float64(v)
	}
	return out, nil
}
