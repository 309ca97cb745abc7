package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GaussianLatent is the latent kind of a code of Config.Latent real numbers
// with the prior N(0, I) and a diagonal Gaussian posterior (in code
// coordinates for a Ladder: see network.go); a config without a latent
// kind has it.
const GaussianLatent = "gaussian"

func init() {
	RegisterLatentKind(GaussianLatent, func(c Config) LatentKind { return gaussianLatent{c.Latent} })
}

// gaussianLatent is the Gaussian kind of d dimensions.
type gaussianLatent struct{ d int }

// Name is GaussianLatent.
func (gaussianLatent) Name() string { return GaussianLatent }

// Code is [d] float32.
func (g gaussianLatent) Code() shapes.Shape { return shapes.Make(dtypes.Float32, g.d) }

// Describe is "d latent dimensions".
func (g gaussianLatent) Describe() string { return fmt.Sprintf("%d latent dimensions", g.d) }

// Prior draws from N(0, T²I): NormalCodes.
func (g gaussianLatent) Prior(n int, seed int64, temperature float64) []float32 {
	return NormalCodes(n, g.d, seed, temperature)
}

// Rate is the closed-form KL of the layer's posterior from N(0, I), per unit.
func (gaussianLatent) Rate(g Group) *Node { return KLUnits(g.Mean, g.LogVar) }

// LogRatio is log N(z; 0, I) − log N(z; mean, σ²) per draw, using
// (z − mean)/σ = ε; the log 2π terms cancel.
func (gaussianLatent) LogRatio(g Group) *Node {
	return MulScalar(ReduceSum(Sub(Square(g.Z), Add(Square(g.Eps), g.LogVar)), -1), -0.5)
}

// NormalCodes returns n codes of dim values drawn from N(0, T²I) with
// T = temperature, from a generator seeded by seed: the same arguments
// always give the same codes. It is the Gaussian kind's prior.
func NormalCodes(n, dim int, seed int64, temperature float64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6c6174656e74)) // "latent"
	z := make([]float32, n*dim)
	for i := range z {
		z[i] = float32(rng.NormFloat64() * temperature)
	}
	return z
}
