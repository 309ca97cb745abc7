package models

// The conv model's networks: an encoder of stride-2 convolutions
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

func init() {
	registerModel(Model{Name: Conv, Rank: 10, Help: "stride-2 convolutions and a mirrored decoder",
		net:   oneLayer{convEncode, convDecode},
		check: plainNetwork})
}

// convEncode maps images [B, H, W, C] in [0, 1] to the posterior's mean
// and log-variance, each [B, Latent].
func convEncode(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node) {
	ctx = ctx.In("encoder")
	h := x
	for i, w := range cfg.Widths {
		h = layers.Convolution(ctx.In(fmt.Sprintf("conv%d", i)), h).
			Channels(w).KernelSize(cfg.Kernel).Strides(2).PadSame().Done()
		h = activations.Relu(h)
	}
	return posteriorHead(ctx, cfg, h)
}

// posteriorHead maps encoder features [B, h, w, c] to the posterior's mean
// and log-variance [B, Latent], through the dense hidden layer if any.
func posteriorHead(ctx *context.Context, cfg Config, h *Node) (mean, logVar *Node) {
	h = Reshape(h, h.Shape().Dimensions[0], -1)
	if cfg.Hidden > 0 {
		h = activations.Relu(Dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	return splitHalves(Dense(ctx.In("posterior"), h, 2*cfg.Latent))
}

// splitHalves splits x [B, 2n] into its first and second n columns.
func splitHalves(x *Node) (*Node, *Node) {
	n := x.Shape().Dimensions[1] / 2
	return Slice(x, AxisRange(), AxisRange(0, n)), Slice(x, AxisRange(), AxisRange(n))
}

// convDecode maps latents [B, Latent] to the likelihood's parameters
// [B, H, W, OutChannels]: logits for Bernoulli, pre-sigmoid means for
// Gaussian.
func convDecode(ctx *context.Context, cfg Config, z *Node) *Node {
	ctx = ctx.In("decoder")
	n := len(cfg.Widths)
	h0, w0, c0 := cfg.Height>>n, cfg.Width>>n, cfg.Widths[n-1]
	h := z
	if cfg.Hidden > 0 {
		h = activations.Relu(Dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	h = activations.Relu(Dense(ctx.In("project"), h, h0*w0*c0))
	h = Reshape(h, z.Shape().Dimensions[0], h0, w0, c0)
	return upConvs(ctx, cfg, h)
}

// upConvs is the decoder's stack of upsampling convolutions (scopes conv
// n−1 … conv0 of ctx, the decoder's): each doubles h's height and width,
// from the last encoder width to the first and then to the decoder's
// channels, with a ReLU between them.
func upConvs(ctx *context.Context, cfg Config, h *Node) *Node {
	n := len(cfg.Widths)
	for i := n - 1; i >= 0; i-- {
		out := cfg.DecoderChannels()
		if i > 0 {
			out = cfg.Widths[i-1]
		}
		h = upConv(ctx.In(fmt.Sprintf("conv%d", i)), cfg, h, out)
		if i > 0 {
			h = activations.Relu(h)
		}
	}
	return h
}

// upConv doubles the height and width of h and convolves it to out
// channels, as cfg.Upsample says.
func upConv(ctx *context.Context, cfg Config, h *Node, out int) *Node {
	switch {
	case cfg.Upsample == UpsampleNearest && cfg.Kernel == 3:
		return upsampleConv3(ctx, h, out) // the same function, 2.25× fewer multiply-adds
	case cfg.Upsample == UpsampleNearest:
		return layers.Convolution(ctx, Upsample2(h)).Channels(out).KernelSize(cfg.Kernel).PadSame().Done()
	default:
		return layers.Convolution(ctx, DepthToSpace2(h)).Channels(out).KernelSize(cfg.Kernel).PadSame().Done()
	}
}

// Dense is a fully connected layer with bias on x [B, in], written as a 1×1
// convolution: GoMLX v0.26 differentiates a matrix product by broadcasting
// and reducing, which materialises a [B, in, out] tensor every step, while a
// convolution's gradients are convolutions that XLA runs as matrix products.
func Dense(ctx *context.Context, x *Node, units int) *Node {
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
