package eval

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/models"
)

// The evaluation graphs take an RNG state and return the advanced one, so
// that evaluating never draws from (or changes) the run's own RNG variable.

// Every graph takes images [B,H,W,C] and their labels [B] (int32), which
// only a conditional model uses.

// encodeGraph maps images to the posterior's mean and log-variance.
func encodeGraph(cfg models.Config) func(ctx *context.Context, x, y *Node) (*Node, *Node) {
	return func(ctx *context.Context, x, y *Node) (*Node, *Node) {
		return models.Encode(ctx, cfg, x, y)
	}
}

// elboGraph maps images and an RNG state to the next state, the
// reconstruction term per image [B] and the KL of each stochastic layer per
// image [B, Layers].
func elboGraph(cfg models.Config) func(ctx *context.Context, x, y, rng *Node) (*Node, *Node, *Node) {
	return elboGraphOf(cfg, models.StateNoise)
}

// elboGraphOf is elboGraph drawing through noise (StateNoise or
// SharedStateNoise).
func elboGraphOf(cfg models.Config, noise func(*Node) *models.Noise) func(ctx *context.Context, x, y, rng *Node) (*Node, *Node, *Node) {
	return func(ctx *context.Context, x, y, rng *Node) (*Node, *Node, *Node) {
		n := noise(rng)
		t := models.ELBO(ctx, cfg, x, y, n)
		return n.State(), t.Recon, Stack(t.LayerKL(), 1)
	}
}

// iwGraph maps images and an RNG state to the next state and k importance
// log-weights per image [B,k].
func iwGraph(cfg models.Config, k int) func(ctx *context.Context, x, y, rng *Node) (*Node, *Node) {
	return func(ctx *context.Context, x, y, rng *Node) (*Node, *Node) {
		noise := models.StateNoise(rng)
		w := models.IWLogWeights(ctx, cfg, x, y, k, noise)
		return noise.State(), w
	}
}

// codeGraph maps images, an RNG state and a temperature t to the next
// state and draws posterior draws μ + tσε of each image's code [draws, B,
// Latent], in code coordinates (every stochastic layer's, top first: what
// the decoder takes). The images are encoded once for all their draws.
func codeGraph(cfg models.Config, draws int) func(ctx *context.Context, x, y, rng, t *Node) (*Node, *Node) {
	return func(ctx *context.Context, x, y, rng, t *Node) (*Node, *Node) {
		noise := models.StateNoise(rng).Scaled(t)
		p := models.Sample(ctx, cfg, x, y, draws, noise)
		b := x.Shape().Dimensions[0]
		parts := make([]*Node, len(p.Groups))
		for i, g := range p.Groups {
			parts[i] = Reshape(g.Z, b, draws, -1) // Sample's draws are image-major
		}
		return noise.State(), TransposeAllDims(Concatenate(parts, -1), 1, 0, 2)
	}
}
