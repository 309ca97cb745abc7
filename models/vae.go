// Package models holds latent's variational autoencoders as GoMLX graphs.
//
// The VAE is convolutional: an encoder of stride-2 convolutions followed by a
// dense layer to the mean and log-variance of a diagonal Gaussian posterior,
// and a mirrored decoder that upsamples (nearest-neighbour or depth-to-space)
// and then convolves. GoMLX v0.26 cannot differentiate a transposed
// convolution, and its convolution input gradient is wrong for even kernel
// sizes, so kernels must be odd.
package models

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Upsampling modes of the decoder.
const (
	UpsampleNearest      = "nearest"
	UpsampleDepthToSpace = "depth-to-space"
)

// Likelihoods of the decoder.
const (
	Bernoulli = "bernoulli" // decoder outputs logits; for grey images in [0, 1]
	Gaussian  = "gaussian"  // decoder outputs means through a sigmoid, with a learned per-channel scale
)

// Config describes a convolutional VAE. It is saved with every run.
type Config struct {
	Height     int     `json:"height"`
	Width      int     `json:"width"`
	Channels   int     `json:"channels"`
	Latent     int     `json:"latent"`
	Widths     []int   `json:"widths"`     // channels of each stride-2 encoder convolution
	Hidden     int     `json:"hidden"`     // units of a dense layer between convolutions and latent, each side (0: none)
	Kernel     int     `json:"kernel"`     // odd convolution kernel size
	Upsample   string  `json:"upsample"`   // UpsampleNearest or UpsampleDepthToSpace
	Likelihood string  `json:"likelihood"` // Bernoulli or Gaussian
	Beta       float64 `json:"beta"`       // weight of the KL term
}

// DefaultConfig is the model for MNIST-sized grey images: 1,659,169
// parameters (191,265 with Hidden 0, the model of the project's benchmarks).
func DefaultConfig() Config {
	return Config{Height: 28, Width: 28, Channels: 1, Latent: 16, Widths: []int{32, 64}, Hidden: 256,
		Kernel: 3, Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	down := 1 << len(c.Widths)
	switch {
	case c.Height <= 0 || c.Width <= 0 || (c.Channels != 1 && c.Channels != 3):
		return fmt.Errorf("image shape %dx%dx%d: want positive height and width and 1 or 3 channels", c.Height, c.Width, c.Channels)
	case c.Hidden < 0:
		return fmt.Errorf("hidden units %d: must be zero (none) or positive", c.Hidden)
	case c.Latent <= 0:
		return fmt.Errorf("latent size %d: must be positive", c.Latent)
	case len(c.Widths) == 0:
		return fmt.Errorf("widths: at least one encoder convolution is needed")
	case c.Height%down != 0 || c.Width%down != 0:
		return fmt.Errorf("image size %dx%d is not divisible by 2^%d (one halving per width in %v)", c.Height, c.Width, len(c.Widths), c.Widths)
	case c.Kernel <= 0 || c.Kernel%2 == 0:
		return fmt.Errorf("kernel size %d: must be odd (GoMLX v0.26's convolution gradient is wrong for even kernels)", c.Kernel)
	case c.Upsample != UpsampleNearest && c.Upsample != UpsampleDepthToSpace:
		return fmt.Errorf("upsample %q: want %q or %q", c.Upsample, UpsampleNearest, UpsampleDepthToSpace)
	case c.Likelihood != Bernoulli && c.Likelihood != Gaussian:
		return fmt.Errorf("likelihood %q: want %q or %q", c.Likelihood, Bernoulli, Gaussian)
	case c.Beta < 0 || math.IsNaN(c.Beta):
		return fmt.Errorf("beta %v: must be non-negative", c.Beta)
	}
	if c.Upsample == UpsampleDepthToSpace {
		for _, w := range c.Widths {
			if w%4 != 0 {
				return fmt.Errorf("widths %v: depth-to-space needs every width divisible by 4", c.Widths)
			}
		}
	}
	return nil
}

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

// Sample draws z = mean + exp(logVar/2)·ε with ε from the context's RNG, whose
// state is a variable saved in checkpoints.
func Sample(ctx *context.Context, mean, logVar *Node) *Node {
	eps := ctx.RandomNormal(mean.Graph(), mean.Shape())
	return Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
}

// ReconNLL is −log p(x|z) per image [B], in nats, summed over pixels.
func ReconNLL(ctx *context.Context, cfg Config, x, out *Node) *Node {
	var nll *Node
	if cfg.Likelihood == Gaussian {
		// A rank-1 variable starts at zero: σ = 1.
		logSigma := ctx.In("decoder").VariableWithShape("log_sigma", shapes.Make(x.DType(), cfg.Channels)).ValueGraph(x.Graph())
		logSigma = Reshape(logSigma, 1, 1, 1, cfg.Channels)
		diff := Div(Sub(x, Sigmoid(out)), Exp(logSigma))
		nll = AddScalar(Add(MulScalar(Square(diff), 0.5), logSigma), 0.5*math.Log(2*math.Pi))
	} else {
		// softplus(l) − x·l, the Bernoulli negative log-likelihood from logits.
		nll = Sub(Softplus(out), Mul(x, out))
	}
	return ReduceSum(nll, 1, 2, 3)
}

// KL is KL(q(z|x) ‖ N(0, I)) per image [B], in nats.
func KL(mean, logVar *Node) *Node {
	t := Sub(Add(Square(mean), Exp(logVar)), AddScalar(logVar, 1))
	return MulScalar(ReduceSum(t, -1), 0.5)
}

// MeanImage maps the decoder's output to the image it predicts, in [0, 1].
func MeanImage(out *Node) *Node { return Sigmoid(out) }

// ImageShape is the shape of a batch of n images for cfg.
func (c Config) ImageShape(n int) shapes.Shape {
	return shapes.Make(dtypes.Float32, n, c.Height, c.Width, c.Channels)
}
