package models

// The convolutional VAE's networks: an encoder of stride-2 convolutions
// followed by a dense layer to the mean and log-variance of a diagonal
// Gaussian posterior, and a mirrored decoder that upsamples
// (nearest-neighbour or depth-to-space) and then convolves. GoMLX v0.26
// cannot differentiate a transposed convolution, and its convolution input
// gradient is wrong for even kernel sizes, so kernels must be odd.

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Encode maps images [B, H, W, C] in [0, 1] to the posterior's mean and
// log-variance, each [B, Latent].
func Encode(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node) {
	ctx = ctx.In("encoder")
	h := x
	for i, w := range cfg.Widths {
		h = layers.Convolution(ctx.In(fmt.Sprintf("conv%d", i)), h).
			Channels(w).KernelSize(cfg.Kernel).Strides(2).PadSame().Done()
		h = activations.Relu(h)
	}
	h = Reshape(h, h.Shape().Dimensions[0], -1)
	if cfg.Hidden > 0 {
		h = activations.Relu(dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	out := dense(ctx.In("posterior"), h, 2*cfg.Latent)
	return Slice(out, AxisRange(), AxisRange(0, cfg.Latent)), Slice(out, AxisRange(), AxisRange(cfg.Latent))
}

// Decode maps latents [B, Latent] to the likelihood's parameters [B, H, W, C]:
// logits for Bernoulli, pre-sigmoid means for Gaussian.
func Decode(ctx *context.Context, cfg Config, z *Node) *Node {
	ctx = ctx.In("decoder")
	n := len(cfg.Widths)
	h0, w0, c0 := cfg.Height>>n, cfg.Width>>n, cfg.Widths[n-1]
	h := z
	if cfg.Hidden > 0 {
		h = activations.Relu(dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	h = activations.Relu(dense(ctx.In("project"), h, h0*w0*c0))
	h = Reshape(h, z.Shape().Dimensions[0], h0, w0, c0)
	for i := n - 1; i >= 0; i-- {
		out := cfg.Channels
		if i > 0 {
			out = cfg.Widths[i-1]
		}
		layer := ctx.In(fmt.Sprintf("conv%d", i))
		switch {
		case cfg.Upsample == UpsampleNearest && cfg.Kernel == 3:
			h = upsampleConv3(layer, h, out) // the same function, 2.25× fewer multiply-adds
		case cfg.Upsample == UpsampleNearest:
			h = layers.Convolution(layer, Upsample2(h)).Channels(out).KernelSize(cfg.Kernel).PadSame().Done()
		default:
			h = layers.Convolution(layer, DepthToSpace2(h)).Channels(out).KernelSize(cfg.Kernel).PadSame().Done()
		}
		if i > 0 {
			h = activations.Relu(h)
		}
	}
	return h
}

// dense is a fully connected layer with bias on x [B, in], written as a 1×1
// convolution: GoMLX v0.26 differentiates a matrix product by broadcasting
// and reducing, which materialises a [B, in, out] tensor every step, while a
// convolution's gradients are convolutions that XLA runs as matrix products.
func dense(ctx *context.Context, x *Node, units int) *Node {
	b := x.Shape().Dimensions[0]
	x = Reshape(x, b, 1, 1, -1)
	y := layers.Convolution(ctx, x).Channels(units).KernelSize(1).Done()
	return Reshape(y, b, units)
}

// Upsample2 doubles height and width of x [B, H, W, C] by repeating pixels
// (nearest neighbour), as a reshape and broadcast whose gradient is a sum.
func Upsample2(x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	x = Reshape(x, b, h, 1, w, 1, c)
	x = BroadcastToDims(x, b, h, 2, w, 2, c)
	return Reshape(x, b, 2*h, 2*w, c)
}

// DepthToSpace2 rearranges x [B, H, W, 4C] into [B, 2H, 2W, C].
func DepthToSpace2(x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]/4
	x = Reshape(x, b, h, w, 2, 2, c)
	x = TransposeAllDims(x, 0, 1, 3, 2, 4, 5)
	return Reshape(x, b, 2*h, 2*w, c)
}
