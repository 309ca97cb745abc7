package vae

import (
	"fmt"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
)

// EncodeOptions are what `latent encode` encodes: the images of Split
// ("train" or "test"), the first Limit of them (0: all), in batches of
// Batch images.
type EncodeOptions struct {
	Split        string
	Limit, Batch int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o EncodeOptions) Check() error {
	switch {
	case o.Split != "train" && o.Split != "test":
		return argErrorf("--split %q: want train or test", o.Split)
	case o.Limit < 0:
		return argErrorf("--limit %d: want ≥ 0 (0: all)", o.Limit)
	case o.Batch < 1:
		return argErrorf("--batch %d: want at least 1", o.Batch)
	}
	return nil
}

// Codes are the posterior codes of a split's images with what the split
// knows of them: `latent encode`'s arrays.
type Codes struct {
	N int // images
	// Mean and LogVar are the Gaussian posterior's mean and log-variance,
	// [N, Latent] row-major; for a ladder, every layer's, top first (the
	// code the decoder takes), each lower layer's given the means above
	// it. nil for a discrete latent.
	Mean, LogVar []float32
	// Latent is the size of a continuous code (0 for a discrete one).
	Latent int
	// Indices are a discrete latent's codebook indices, [N, H, W]
	// row-major (GridH×GridW per image); nil for a continuous latent.
	Indices      []int32
	GridH, GridW int
	Labels       []int         // N class labels
	Factors      *data.Factors // the split's known factors, nil when it has none
}

// EncodeSplit encodes the images of the split of set that o names (its
// first o.Limit) into their posterior codes: a continuous latent's means
// and log-variances, a discrete one's indices, with the images' labels and
// factors.
func (s *Session) EncodeSplit(set *data.Set, o EncodeOptions) (*Codes, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	sp := set.Test
	if o.Split == "train" {
		sp = set.Train
	}
	sp = LimitSplit(sp, o.Limit)
	c := &Codes{N: sp.N, Labels: sp.Labels, Factors: sp.Factors}
	kind := s.Model.Kind()
	if !models.Continuous(kind) {
		return c, s.encodeIndices(c, sp, kind, o.Batch)
	}
	m, err := s.EvalModel(o.Batch)
	if err != nil {
		return nil, err
	}
	if c.Mean, c.LogVar, err = m.Encode(sp.Images(), sp.Labels); err != nil {
		return nil, fmt.Errorf("encoding the %s split: %w", o.Split, err)
	}
	c.Latent = kind.Code().Size()
	return c, nil
}

// encodeIndices sets c's indices: the encoder's output for a discrete
// latent kind (its posterior's mean is one-hot on them).
func (s *Session) encodeIndices(c *Codes, sp *data.Split, kind models.LatentKind, batch int) error {
	dims := kind.Code().Dimensions
	if len(dims) != 2 {
		return fmt.Errorf("encode: a code of %s has shape %v; want a grid [H, W]", kind.Describe(), dims)
	}
	e, err := generate.NewEncoder(s.Backend, s.Run.Ctx, s.Model, min(batch, generate.BatchFor(sp.N)))
	if err != nil {
		return fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	defer e.Finalize()
	codes, err := e.Encode(sp.Images(), sp.Labels)
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	c.GridH, c.GridW = dims[0], dims[1]
	c.Indices = make([]int32, len(codes))
	for i, v := range codes {
		c.Indices[i] = int32(v)
	}
	return nil
}

// Arrays returns the codes as named numpy arrays, as `latent encode`
// writes them to an .npz file: "mean" and "logvar" [N, Latent] float32 (a
// discrete latent: "indices" [N, H, W] int32), "labels" [N] int64, and
// for a split with known factors "factors" [N, F] int64 with their names
// "factor_names" [F] (a unicode array).
func (c *Codes) Arrays() []generate.Array {
	var out []generate.Array
	if c.Indices != nil {
		out = append(out, generate.Int32Array("indices", c.Indices, c.N, c.GridH, c.GridW))
	} else {
		out = append(out, generate.Float32Array("mean", c.Mean, c.N, c.Latent),
			generate.Float32Array("logvar", c.LogVar, c.N, c.Latent))
	}
	out = append(out, generate.Int64Array("labels", c.Labels, c.N))
	if f := c.Factors; f != nil {
		out = append(out, generate.Int64Array("factors", f.Values, c.N, f.NumFactors()),
			generate.StringArray("factor_names", f.Names))
	}
	return out
}

// Main returns the one array `latent encode -o FILE.npy` writes: the
// means, or a discrete latent's indices.
func (c *Codes) Main() generate.Array { return c.Arrays()[0] }
