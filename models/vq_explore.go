package models

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// GridVectorSize is the size of a vq model's grid of vectors, flat: the
// grid's cells times the vectors' dimension (Latent).
func (c Config) GridVectorSize() int {
	h, w := c.CodeGrid()
	return h * w * c.Latent
}

// GridEncode maps images x [B, H, W, C] (with their labels [B], int32,
// which only a conditional model reads) to a vq model's grid before
// quantisation, flat [B, cells·Latent]: a VQ quantiser's encoder outputs;
// an FSQ quantiser's bounded outputs on its codes' scale, [−1, 1], which
// rounding turns into its codes. GridQuantize of it gives the indices
// that Encode gives.
func GridEncode(ctx *context.Context, cfg Config, x, labels *Node) *Node {
	ze := vqEncode(ctx, cfg, withLabelChannels(x, oneHot(cfg, labels, x.DType())))
	if cfg.Quantizer == QuantizerFSQ {
		f := FSQ{Levels: cfg.Levels}
		dims := ze.Shape().Dimensions
		ze = Div(f.Bound(ze), f.channels(ze.Graph(), ze.DType(), dims, f.perLevel(fsqHalfWidth)))
	}
	return Reshape(ze, x.Shape().Dimensions[0], -1)
}

// GridQuantize maps grids of vectors z [B, cells·Latent], on GridEncode's
// scale, to the indices [B, cells] (int32) of each cell's nearest code.
func GridQuantize(ctx *context.Context, cfg Config, z *Node) *Node {
	b := z.Shape().Dimensions[0]
	flat := Reshape(z, -1, cfg.Latent)
	var idx *Node
	if cfg.Quantizer == QuantizerFSQ {
		idx = FSQ{Levels: cfg.Levels}.Indices(flat)
	} else {
		q := vqOf(cfg)
		idx = nearestCode(flat, q.CodebookVar(ctx, z.DType()).ValueGraph(z.Graph()))
	}
	return Reshape(ConvertDType(idx, dtypes.Int32), b, -1)
}

// GridVectors maps indices [B, cells] (any dtype holding whole numbers) to
// their codes' vectors, flat [B, cells·Latent] (float32): a VQ codebook's
// rows, or FSQ's codes, on GridEncode's scale.
func GridVectors(ctx *context.Context, cfg Config, indices *Node) *Node {
	h, w := cfg.CodeGrid()
	b := indices.Shape().Dimensions[0]
	idx := Reshape(ConvertDType(indices, dtypes.Int32), b, h, w)
	return Reshape(codeVectors(ctx, cfg, idx), b, -1)
}
