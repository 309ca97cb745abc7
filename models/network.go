package models

// The family's dispatch: every caller (training, evaluation, generation,
// export) reaches a model's networks through Encode, Decode and Sample,
// which pick the network by Config.Model. A network only maps images and
// codes; the objective (objective.go) is written once for all of them.

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A code is a model's latent vector of Latent values: Layers() groups of
// Latent/Layers() values, the top stochastic layer first. For a model with
// one stochastic layer it is z itself. For a Ladder each group is the
// layer's z whitened by its prior given the layers above,
// (z_i − μ_p,i)/σ_p,i, so that codes drawn from N(0, I) decode to samples
// of the model's prior, and the KL of a group in code coordinates is the
// KL between the layer's posterior and prior.

// network is one architecture of the family.
type network interface {
	// encode maps images [B, H, W, C] to the posterior's mean and
	// log-variance in code coordinates, [B, Latent] each (for a Ladder,
	// along the top-down path of the posterior means).
	encode(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node)
	// decode maps codes [N, Latent] to the likelihood's parameters
	// [N, H, W, OutChannels].
	decode(ctx *context.Context, cfg Config, z *Node) *Node
	// draw draws k codes per image of x [B, H, W, C] from the posterior,
	// one Group per stochastic layer, and decodes them ([B·k, H, W,
	// OutChannels], the k draws of an image together).
	draw(ctx *context.Context, cfg Config, x *Node, k int, noise *Noise) ([]Group, *Node)
}

// networkOf is cfg's network; cfg has been validated.
func networkOf(cfg Config) network {
	switch cfg.Network() {
	case ResNet:
		return oneLayer{resnetEncode, resnetDecode}
	case Ladder:
		return ladder{}
	default:
		return oneLayer{convEncode, convDecode}
	}
}

// Encode maps images [B, H, W, C] in [0, 1] to the posterior's mean and
// log-variance in code coordinates, each [B, Latent].
func Encode(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node) {
	return networkOf(cfg).encode(ctx, cfg, x)
}

// Decode maps codes [B, Latent] to the likelihood's parameters
// [B, H, W, OutChannels]; MeanImage turns them into images.
func Decode(ctx *context.Context, cfg Config, z *Node) *Node {
	return networkOf(cfg).decode(ctx, cfg, z)
}

// oneLayer is a network with one stochastic layer: an encoder to a
// diagonal Gaussian posterior and a decoder of z.
type oneLayer struct {
	enc func(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node)
	dec func(ctx *context.Context, cfg Config, z *Node) *Node
}

func (n oneLayer) encode(ctx *context.Context, cfg Config, x *Node) (*Node, *Node) {
	return n.enc(ctx, cfg, x)
}

func (n oneLayer) decode(ctx *context.Context, cfg Config, z *Node) *Node { return n.dec(ctx, cfg, z) }

// draw encodes x once and decodes k draws per image.
func (n oneLayer) draw(ctx *context.Context, cfg Config, x *Node, k int, noise *Noise) ([]Group, *Node) {
	mean, logVar := n.enc(ctx, cfg, x) // [B, L]
	b, l := mean.Shape().Dimensions[0], mean.Shape().Dimensions[1]
	var eps *Node
	if k == 1 {
		eps = ExpandAxes(noise.Normal(x.Graph(), mean.Shape()), 1)
	} else {
		eps = noise.Normal(x.Graph(), shapes.Make(mean.DType(), b, k, l))
	}
	z := Reparameterize(mean, logVar, eps) // [B, k, L]
	out := n.dec(ctx, cfg, Reshape(z, b*k, l))
	return []Group{{Mean: ExpandAxes(mean, 1), LogVar: ExpandAxes(logVar, 1), Eps: eps, Z: z}}, out
}
