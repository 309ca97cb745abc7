package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GridLatent is the latent kind of a VQ model (vq.go): a grid of int32
// indices into a codebook of K codes, one per cell of the encoder's
// output grid (7×7 for 28×28 images). Its posterior is one-hot (the
// nearest code), and its default prior uniform over the codes, so the
// rate of a cell is log K: the negative ELBO is the reconstruction plus
// cells·log K, a bound on −log p(x) comparable with a VAE's.
const GridLatent = "grid"

func init() {
	RegisterLatentKind(GridLatent, func(c Config) LatentKind {
		h, w := c.CodeGrid()
		return gridLatent{h: h, w: w, k: c.Codes()}
	})
}

// gridLatent is a h×w grid of indices into k codes.
type gridLatent struct{ h, w, k int }

// Name is GridLatent.
func (gridLatent) Name() string { return GridLatent }

// Code is [h, w] int32.
func (g gridLatent) Code() shapes.Shape { return shapes.Make(dtypes.Int32, g.h, g.w) }

// Describe names the grid and its codebook.
func (g gridLatent) Describe() string {
	return fmt.Sprintf("a %d×%d grid of indices into %d codes", g.h, g.w, g.k)
}

// Codebook is K, the codes a cell's index chooses among (Discrete), which
// a prior over the grid needs.
func (g gridLatent) Codebook() int { return g.k }

// Prior draws every index uniformly from the codebook; the temperature
// does not change a uniform distribution.
func (g gridLatent) Prior(n int, seed int64, _ float64) []float32 {
	return UniformCodes(n*g.h*g.w, g.k, seed)
}

// UniformCodes returns n indices drawn uniformly from [0, k), as float32,
// from a generator seeded by seed: the same arguments always give the same
// indices. It is the grid kind's prior.
func UniformCodes(n, k int, seed int64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6772696420)) // "grid "
	z := make([]float32, n)
	for i := range z {
		z[i] = float32(rng.IntN(k))
	}
	return z
}

// Rate is log K per cell: the KL from a one-hot posterior to the uniform
// prior. g.Z holds the indices [B, k, cells].
func (g gridLatent) Rate(gr Group) *Node {
	return MulScalar(OnesLike(gr.Z), math.Log(float64(g.k)))
}

// LogRatio is log p(z) − log q(z|x) = −cells·log K per draw (q is one-hot).
func (g gridLatent) LogRatio(gr Group) *Node {
	return Neg(ReduceSum(g.Rate(gr), -1))
}
