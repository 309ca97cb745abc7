package models

// The broadcast model: the conv model's encoder and a spatial broadcast
// decoder (Watters et al., 2019, "Spatial Broadcast Decoder"). The decoder
// tiles the code over the image's H×W grid, appends each pixel's x and y
// coordinates in [−1, 1] as two channels, and maps them to the likelihood's
// parameters with stride-1 convolutions only: no dense layer to a small map
// and no upsampling, so drawing a flat shape at any place is a function of
// the code and the pixel's coordinates, which suits images of a few objects
// of known kinds (the shapes set).
//
// The decoder's convolutions are the encoder's widths, last first (for
// --widths 32,64: 64 then 32 channels), each a Kernel×Kernel same-padded
// convolution with a ReLU, then one to the decoder's channels. Its first
// layer, a 1×1 convolution of the tiled code and the coordinates, is
// computed as a dense layer of the code plus one of the coordinates, the
// same function without tiling the code.

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// Broadcast is the name of the spatial broadcast model (Config.Model).
const Broadcast = "broadcast"

func init() {
	registerModel(Model{Name: Broadcast, Rank: 25,
		Help:  "the conv encoder and a spatial broadcast decoder: the code tiled with x, y channels, then stride-1 convolutions",
		net:   oneLayer{convEncode, broadcastDecode},
		check: plainNetwork})
}

// broadcastDecode maps latents [B, Latent] to the likelihood's parameters
// [B, H, W, DecoderChannels] through the dense hidden layer if any, the
// broadcast with the coordinates, and stride-1 convolutions.
func broadcastDecode(ctx *context.Context, cfg Config, z *Node) *Node {
	ctx = ctx.In("decoder")
	h := z
	if cfg.Hidden > 0 {
		h = activations.Relu(Dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	n := len(cfg.Widths)
	h = broadcastInput(ctx.In("broadcast"), cfg, h, cfg.Widths[n-1])
	for i := n - 1; i >= 0; i-- {
		h = layers.Convolution(ctx.In(fmt.Sprintf("conv%d", i)), h).
			Channels(cfg.Widths[i]).KernelSize(cfg.Kernel).PadSame().Done()
		h = activations.Relu(h)
	}
	return layers.Convolution(ctx.In("out"), h).Channels(cfg.DecoderChannels()).KernelSize(cfg.Kernel).PadSame().Done()
}

// broadcastInput is the broadcast layer: a 1×1 convolution to units
// channels, with a ReLU, of h [B, D] tiled over cfg's H×W grid beside the
// coordinate channels (broadcastCoords), written as Dense(h) broadcast
// over the grid plus the coordinates' weights (no second bias) broadcast
// over the batch.
func broadcastInput(ctx *context.Context, cfg Config, h *Node, units int) *Node {
	b := h.Shape().Dimensions[0]
	g := h.Graph()
	code := Reshape(Dense(ctx.In("code"), h, units), b, 1, 1, units)
	xy := ConvertDType(Const(g, broadcastCoords(cfg.Height, cfg.Width)), h.DType())
	grid := Reshape(layers.Dense(ctx.In("coords"), Reshape(xy, -1, 2), false, units), 1, cfg.Height, cfg.Width, units)
	return activations.Relu(Add(BroadcastToDims(code, b, cfg.Height, cfg.Width, units),
		BroadcastToDims(grid, b, cfg.Height, cfg.Width, units)))
}

// broadcastCoords is the coordinate channels [H, W, 2] of an h×w image:
// x (across the width) then y (down the height), each from −1 at the first
// pixel to 1 at the last (0 for a side of one pixel).
func broadcastCoords(h, w int) *tensors.Tensor {
	at := func(i, n int) float32 {
		if n == 1 {
			return 0
		}
		return -1 + 2*float32(i)/float32(n-1)
	}
	v := make([]float32, 0, h*w*2)
	for i := range h {
		for j := range w {
			v = append(v, at(j, w), at(i, h))
		}
	}
	return tensors.FromFlatDataAndDimensions(v, h, w, 2)
}
