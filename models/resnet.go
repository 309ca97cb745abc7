package models

// The resnet model's networks: each encoder level halves the image with a
// stride-2 convolution and refines it with Blocks pre-activation residual
// blocks (two same-padded convolutions, with optional layer normalisation);
// the decoder mirrors it, each level's residual blocks followed by a 2×
// nearest-neighbour (or depth-to-space) upsampling and a convolution, as in
// the conv model. One stochastic layer, through the conv model's dense
// posterior head.

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

func init() {
	registerModel(Model{Name: ResNet, Rank: 20, Help: "residual blocks",
		net:      oneLayer{resnetEncode, resnetDecode},
		defaults: withBlocks,
		check: func(c Config) error {
			if err := needsBlocks(c); err != nil {
				return err
			}
			return oneStochasticLayer(c)
		}})
}

// withBlocks gives a model of residual blocks one per resolution when a
// config leaves them at zero.
func withBlocks(c Config) Config {
	if c.Blocks == 0 {
		c.Blocks = 1
	}
	return c
}

// resnetEncode maps images [B, H, W, C] to the posterior's mean and
// log-variance [B, Latent].
func resnetEncode(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node) {
	ctx = ctx.In("encoder")
	return posteriorHead(ctx, cfg, resnetTrunk(ctx, cfg, x))
}

// resnetDecode maps latents [B, Latent] to the likelihood's parameters.
func resnetDecode(ctx *context.Context, cfg Config, z *Node) *Node {
	ctx = ctx.In("decoder")
	h := z
	if cfg.Hidden > 0 {
		h = activations.Relu(Dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	return resnetUp(ctx, cfg, h)
}

// resnetTrunk is the encoder's convolutional part: images [B, H, W, C] to
// rectified features [B, H/2^n, W/2^n, Widths[n−1]].
func resnetTrunk(ctx *context.Context, cfg Config, x *Node) *Node {
	h := x
	for i, w := range cfg.Widths {
		level := ctx.In(fmt.Sprintf("level%d", i))
		h = layers.Convolution(level.In("down"), h).Channels(w).KernelSize(cfg.Kernel).Strides(2).PadSame().Done()
		for j := range cfg.Blocks {
			h = residualBlock(level.In(fmt.Sprintf("block%d", j)), cfg, h)
		}
	}
	return activations.Relu(h)
}

// resnetUp is the decoder's convolutional part: features [B, units] to the
// likelihood's parameters [B, H, W, OutChannels].
func resnetUp(ctx *context.Context, cfg Config, h *Node) *Node {
	n := len(cfg.Widths)
	h0, w0, c0 := cfg.Height>>n, cfg.Width>>n, cfg.Widths[n-1]
	b := h.Shape().Dimensions[0]
	h = Reshape(activations.Relu(Dense(ctx.In("project"), h, h0*w0*c0)), b, h0, w0, c0)
	for i := n - 1; i >= 0; i-- {
		level := ctx.In(fmt.Sprintf("level%d", i))
		for j := range cfg.Blocks {
			h = residualBlock(level.In(fmt.Sprintf("block%d", j)), cfg, h)
		}
		out := cfg.DecoderChannels()
		if i > 0 {
			out = cfg.Widths[i-1]
		}
		h = upConv(level.In("up"), cfg, activations.Relu(h), out)
	}
	return h
}

// residualBlock is h + f(h), f being two rounds of (normalisation,
// rectifier, same-padded convolution) that keep h's channels.
func residualBlock(ctx *context.Context, cfg Config, h *Node) *Node {
	c := h.Shape().Dimensions[3]
	r := h
	for i := range 2 {
		if cfg.Norm == NormLayer {
			r = layers.LayerNormalization(ctx.In(fmt.Sprintf("norm%d", i)), r, -1).Done()
		}
		r = layers.Convolution(ctx.In(fmt.Sprintf("conv%d", i)), activations.Relu(r)).
			Channels(c).KernelSize(cfg.Kernel).PadSame().Done()
	}
	return Add(h, r)
}
