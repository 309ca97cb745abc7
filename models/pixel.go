package models

// The pixel head: an autoregressive Bernoulli likelihood over a
// one-channel image (PixelVAE, Gulrajani et al. 2017; PixelCNN's masked
// convolution, van den Oord et al. 2016). With Config.PixelWidth > 0 a
// network's decoder outputs PixelFeatures features per pixel instead of
// logits, and the head maps them, with the pixels before each pixel in
// raster order, to that pixel's logit:
//
//	logit_i = w·relu(V·relu(U·feat_i + A⋆x_<i + a) + c) + d
//
// A⋆x_<i is a k×k convolution (k = PixelKernel) whose kernel is masked so
// that pixel i sees only the pixels above it and those left of it in its
// row (PixelCNN's mask A), computed as a 1×1 convolution of those pixels
// (pixelTaps); U, V and w are 1×1 convolutions, U and V of PixelWidth
// outputs, so pixel i depends on the image only through that window.
// Training and likelihoods feed the image itself (teacher forcing), every
// pixel at once; generating feeds one pixel after another (PixelStep, the
// generate package).

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// PixelFeatures is the number of features per pixel a network's decoder
// gives a pixel head.
const PixelFeatures = 8

// DefaultPixelKernel is the pixel head's window when Config.PixelKernel is 0.
const DefaultPixelKernel = 7

// Autoregressive reports whether the model has a pixel head.
func (c Config) Autoregressive() bool { return c.PixelWidth > 0 }

// pixelHead maps a decoder's features feat [B, h, w, PixelFeatures] and the
// images x [B, h', w', 1] they are the features of to the logits
// [B, h, w, 1] of each pixel given the pixels before it. same pads x as
// the whole image (h' = h); otherwise x is one k×k window per item, the
// window of the one pixel feat [B, 1, 1, PixelFeatures] is the feature of.
func pixelHead(ctx *context.Context, cfg Config, feat, x *Node, same bool) *Node {
	ctx = ctx.In("decoder").In("pixel")
	h, w := feat.Shape().Dimensions[1], feat.Shape().Dimensions[2]
	if c := cfg.PixelKernel / 2; same {
		x = Pad(x, ScalarZero(x.Graph(), x.DType()), PadAxis{}, PadAxis{Start: c}, PadAxis{Start: c, End: c}, PadAxis{})
	}
	in := Concatenate([]*Node{feat, pixelTaps(x, cfg.PixelKernel, h, w)}, -1)
	r := activations.Relu(layers.Convolution(ctx.In("input"), in).Channels(cfg.PixelWidth).KernelSize(1).Done())
	r = activations.Relu(layers.Convolution(ctx.In("hidden"), r).Channels(cfg.PixelWidth).KernelSize(1).Done())
	return layers.Convolution(ctx.In("logits"), r).Channels(cfg.Channels).KernelSize(1).Done()
}

// pixelTaps is the masked convolution's input: for each pixel of an h×w
// output, the k×k window's pixels that come before the centre in raster
// order (PixelCNN's mask A: the rows above the centre, and the centre row
// left of it), as channels [B, h, w, (k/2)·(k+1)·C]. x [B, h+k/2, w+k−1, C]
// holds the window's top rows and columns around every output pixel (the
// image padded with zeros above and at the sides, or one window). A 1×1
// convolution of the taps is the masked convolution, without the masked
// half's multiply-adds.
func pixelTaps(x *Node, k, h, w int) *Node {
	c := k / 2
	var taps []*Node
	for dr := 0; dr <= c; dr++ {
		for dc := 0; dc < k && (dr < c || dc < c); dc++ {
			taps = append(taps, Slice(x, AxisRange(), AxisRange(dr, dr+h), AxisRange(dc, dc+w)))
		}
	}
	return Concatenate(taps, -1)
}

// PixelStep is one step of generating with a pixel head: given the
// decoder's features of one pixel per item, feat [B, PixelFeatures], and the
// k×k window of the image around it, window [B, k, k, 1] (the pixels
// outside the image zero; the mask ignores the pixel itself and those
// after it), it returns the probability [B] that the pixel is on.
func PixelStep(ctx *context.Context, cfg Config, feat, window *Node) *Node {
	b := feat.Shape().Dimensions[0]
	logits := pixelHead(ctx, cfg, Reshape(feat, b, 1, 1, PixelFeatures), window, false)
	return Sigmoid(Reshape(logits, b))
}

// PixelWindowShape is the shape of PixelStep's window input for b items.
func (c Config) PixelWindowShape(b int) shapes.Shape {
	return shapes.Make(dtypes.Float32, b, c.PixelKernel, c.PixelKernel, c.Channels)
}

// PixelWindow copies into window (k·k values) the k×k window of a
// one-channel image img (Height·Width values) centred on pixel (r, c), the
// pixels outside the image zero: PixelStep's window input for that pixel.
func (c Config) PixelWindow(img []float32, r, col int, window []float32) {
	k, half := c.PixelKernel, c.PixelKernel/2
	for dr := range k {
		for dc := range k {
			y, x := r+dr-half, col+dc-half
			v := float32(0)
			if y >= 0 && y < c.Height && x >= 0 && x < c.Width {
				v = img[y*c.Width+x]
			}
			window[dr*k+dc] = v
		}
	}
}
