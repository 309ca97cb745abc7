package eval

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/models"
)

// log2Pi is log(2π), the constant of a Gaussian log-density.
const log2Pi = 1.8378770664093453

// encodeGraph maps images [B,H,W,C] to the posterior's mean and log-variance.
func encodeGraph(cfg models.Config) func(ctx *context.Context, x *Node) (*Node, *Node) {
	return func(ctx *context.Context, x *Node) (*Node, *Node) {
		return models.Encode(ctx, cfg, x)
	}
}

// elboGraph maps images [B,H,W,C] and an RNG state to the next state and
// the ELBO's two terms per image [B]: −log p(x|z) at one z drawn from
// q(z|x) with that state, and the analytic KL(q(z|x) ‖ p(z)).
func elboGraph(cfg models.Config) func(ctx *context.Context, x, rng *Node) (*Node, *Node, *Node) {
	return func(ctx *context.Context, x, rng *Node) (*Node, *Node, *Node) {
		mean, logVar := models.Encode(ctx, cfg, x)
		rng, eps := RandomNormal(rng, mean.Shape())
		z := Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
		recon := models.ReconNLL(ctx, cfg, x, models.Decode(ctx, cfg, z))
		return rng, recon, models.KL(mean, logVar)
	}
}

// iwGraph maps images [B,H,W,C] and an RNG state to the next state and k
// importance log-weights per image [B,k]:
// log p(x|z_j) + log p(z_j) − log q(z_j|x) with z_j drawn from q(z|x).
func iwGraph(cfg models.Config, k int) func(ctx *context.Context, x, rng *Node) (*Node, *Node) {
	return func(ctx *context.Context, x, rng *Node) (*Node, *Node) {
		mean, logVar := models.Encode(ctx, cfg, x) // [B,L]
		b, l := mean.Shape().Dimensions[0], mean.Shape().Dimensions[1]
		rng, eps := RandomNormal(rng, shapes.Make(mean.DType(), b, k, l))
		logVar = ExpandAxes(logVar, 1) // [B,1,L]
		z := Add(ExpandAxes(mean, 1), Mul(Exp(MulScalar(logVar, 0.5)), eps))
		out := models.Decode(ctx, cfg, Reshape(z, b*k, l))
		xs := BroadcastToDims(ExpandAxes(x, 1), b, k, cfg.Height, cfg.Width, cfg.Channels)
		xs = Reshape(xs, b*k, cfg.Height, cfg.Width, cfg.Channels)
		logPxz := Neg(Reshape(models.ReconNLL(ctx, cfg, xs, out), b, k))
		// log N(z; 0, I) and log N(z; mean, σ²) with (z − mean)/σ = eps.
		logPz := MulScalar(ReduceSum(AddScalar(Square(z), log2Pi), -1), -0.5)
		logQz := MulScalar(ReduceSum(AddScalar(Add(Square(eps), logVar), log2Pi), -1), -0.5)
		return rng, Sub(Add(logPxz, logPz), logQz)
	}
}
