package models

// The vq model (issue 35): an encoder to a grid of D-dimensional vectors
// (7×7 for 28×28 images), a quantiser (quantize.go: a learned codebook,
// VQ, or finite scalar quantisation, FSQ) and a decoder from the quantised
// grid. Its code is the grid of the codes' indices (GridLatent), so
// Decode takes indices and Encode gives them (as the "mean" of a one-hot
// posterior, with a zero log-variance).

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// VQModel is the name of the vq model (Config.Model).
const VQModel = "vq"

// The quantisers of a vq model (Config.Quantizer).
const (
	QuantizerVQ  = "vq"  // a learned codebook of Config.Codebook vectors (VQ)
	QuantizerFSQ = "fsq" // each channel rounded to one of Config.Levels levels (FSQ)
)

// Defaults of a vq model's quantisers.
const (
	DefaultCodebook = 512 // codes of a QuantizerVQ model
	defaultVQBlocks = 2   // residual blocks at the grid's resolution, each side
)

// DefaultLevels are FSQ's default levels, the paper's 1000 codes.
func DefaultLevels() []int { return []int{8, 5, 5, 5} }

func init() {
	registerModel(Model{Name: VQModel, Rank: 40,
		Help:     "a grid of discrete codes: a VQ-VAE (--quantizer fsq: finite scalar quantisation)",
		net:      vqNet{},
		defaults: vqDefaults,
		check:    vqCheck})
}

// vqDefaults fills in a vq config's latent kind, quantiser and its
// settings (an FSQ model's Latent is its number of levels), and residual
// blocks; the model has no dense layer, so Hidden is 0 (`latent train`
// refuses --hidden given with it).
func vqDefaults(c Config) Config {
	if c.LatentKind == "" {
		c.LatentKind = GridLatent
	}
	if c.Quantizer == "" {
		c.Quantizer = QuantizerVQ
	}
	switch c.Quantizer {
	case QuantizerVQ:
		if c.Codebook == 0 {
			c.Codebook = DefaultCodebook
		}
		if c.CodebookUpdate == "" {
			c.CodebookUpdate = CodebookEMA
		}
	case QuantizerFSQ:
		if len(c.Levels) == 0 {
			c.Levels = DefaultLevels()
		}
		if c.Latent == 0 {
			c.Latent = len(c.Levels)
		}
	}
	if c.Blocks == 0 {
		c.Blocks = defaultVQBlocks
	}
	c.Hidden = 0
	return c
}

// vqCheck reports the first field a vq config lacks or cannot use.
func vqCheck(c Config) error {
	switch {
	case c.LatentKind != GridLatent:
		return fmt.Errorf("latent kind %q: the %q model's code is a %q", c.LatentKind, VQModel, GridLatent)
	case c.Hidden != 0:
		return fmt.Errorf("hidden units %d: the %q model has no dense layer", c.Hidden, VQModel)
	case c.Blocks < 0:
		return fmt.Errorf("blocks %d: must not be negative", c.Blocks)
	}
	if err := oneStochasticLayer(c); err != nil {
		return err
	}
	switch c.Quantizer {
	case QuantizerVQ:
		if len(c.Levels) != 0 {
			return fmt.Errorf("levels %v: only the %q quantizer has levels", c.Levels, QuantizerFSQ)
		}
		return vqOf(c).Validate()
	case QuantizerFSQ:
		switch {
		case c.Codebook != 0 || c.CodebookUpdate != "" || c.NoRestarts:
			return fmt.Errorf("codebook %d (update %q, restarts off %v): the %q quantizer has no codebook", c.Codebook, c.CodebookUpdate, c.NoRestarts, QuantizerFSQ)
		case c.Latent != len(c.Levels):
			return fmt.Errorf("latent size %d: an %q model has one channel per level, %d (levels %v)", c.Latent, QuantizerFSQ, len(c.Levels), c.Levels)
		}
		return FSQ{Levels: c.Levels}.Validate()
	}
	return fmt.Errorf("quantizer %q: want %q or %q", c.Quantizer, QuantizerVQ, QuantizerFSQ)
}

// noQuantizer refuses the quantiser's fields and the grid kind on a
// model other than vq.
func noQuantizer(c Config) error {
	if c.Network() == VQModel {
		return nil
	}
	if c.Quantizer != "" || c.Codebook != 0 || c.CodebookUpdate != "" || c.NoRestarts || len(c.Levels) != 0 || c.LatentKind == GridLatent {
		return fmt.Errorf("quantizer %q, codebook %d, levels %v: only the %q model quantizes its code", c.Quantizer, c.Codebook, c.Levels, VQModel)
	}
	return nil
}

// CodeGrid is the height and width of a vq model's grid of codes: the
// image's halved once per encoder width.
func (c Config) CodeGrid() (h, w int) {
	n := len(c.Widths)
	return c.Height >> n, c.Width >> n
}

// Codes is the number of codes a cell of a vq model's grid can take: the
// codebook's size, or the product of FSQ's levels; 0 for another model.
func (c Config) Codes() int {
	switch c.Quantizer {
	case QuantizerVQ:
		return c.Codebook
	case QuantizerFSQ:
		return FSQ{Levels: c.Levels}.Size()
	}
	return 0
}

// vqOf is the VQ quantiser of a QuantizerVQ config: the paper's settings
// with the config's codebook, update rule and restarts.
func vqOf(c Config) VQ {
	q := DefaultVQ(c.Codebook, c.Latent)
	q.Update = c.CodebookUpdate
	if c.NoRestarts {
		q.DeadThreshold = 0
	}
	return q
}

// vqNet is the vq model's network.
type vqNet struct{}

// encode gives each image's code, the indices of its grid [B, cells], as
// a float mean of a one-hot posterior, with a zero log-variance.
func (vqNet) encode(ctx *context.Context, cfg Config, x, y *Node) (*Node, *Node) {
	ze := vqEncode(ctx, cfg, withLabelChannels(x, y))
	q := quantizeGrid(ctx, cfg, ze)
	codes := ConvertDType(Reshape(q.Indices, x.Shape().Dimensions[0], -1), x.DType())
	return codes, ZerosLike(codes)
}

// decode maps indices (int32 [N, h, w], or float [N, cells]) to the
// likelihood's parameters.
func (vqNet) decode(ctx *context.Context, cfg Config, z, y *Node) *Node {
	h, w := cfg.CodeGrid()
	idx := Reshape(ConvertDType(z, dtypes.Int32), z.Shape().Dimensions[0], h, w)
	return vqDecode(ctx, cfg, codeVectors(ctx, cfg, idx), y)
}

// draw encodes and quantises x once (the posterior is one-hot: every draw
// is the same code) and decodes it, repeated k times.
func (vqNet) draw(ctx *context.Context, cfg Config, x, y *Node, k int, _ *Noise) ([]Group, *Node) {
	ze := vqEncode(ctx, cfg, withLabelChannels(x, y))
	q := quantizeGrid(ctx, cfg, ze)
	b := x.Shape().Dimensions[0]
	codes := ConvertDType(Reshape(q.Indices, b, 1, -1), x.DType())
	if k > 1 {
		codes = BroadcastToDims(codes, b, k, codes.Shape().Dimensions[2])
	}
	out := repeatRows(vqDecode(ctx, cfg, q.Quantized, y), k)
	return []Group{{Mean: Reshape(ze, b, 1, -1), Z: codes, Loss: q.Loss, Commitment: q.Commitment}}, out
}

// quantizeGrid quantises the encoder's grid ze [B, h, w, D] with cfg's
// quantiser; FSQ has no loss terms (nil).
func quantizeGrid(ctx *context.Context, cfg Config, ze *Node) VQOutput {
	if cfg.Quantizer == QuantizerFSQ {
		codes, idx := FSQ{Levels: cfg.Levels}.Quantize(ze)
		return VQOutput{Quantized: codes, Indices: idx}
	}
	return vqOf(cfg).Quantize(ctx, ze)
}

// codeVectors are the quantised vectors [N, h, w, D] of indices [N, h, w].
func codeVectors(ctx *context.Context, cfg Config, idx *Node) *Node {
	if cfg.Quantizer == QuantizerFSQ {
		return FSQ{Levels: cfg.Levels}.Codes(idx, dtypes.Float32)
	}
	return vqOf(cfg).Lookup(ctx, idx, dtypes.Float32)
}

// vqEncode maps images [B, H, W, C] to the grid of vectors [B, h, w,
// Latent] that the quantiser takes: stride-2 convolutions, residual
// blocks at the grid's resolution, and a 1×1 convolution to Latent
// channels.
func vqEncode(ctx *context.Context, cfg Config, x *Node) *Node {
	ctx = ctx.In("encoder")
	h := x
	for i, w := range cfg.Widths {
		h = layers.Convolution(ctx.In(fmt.Sprintf("conv%d", i)), h).
			Channels(w).KernelSize(cfg.Kernel).Strides(2).PadSame().Done()
		h = activations.Relu(h)
	}
	for j := range cfg.Blocks {
		h = residualBlock(ctx.In(fmt.Sprintf("block%d", j)), cfg, h)
	}
	return layers.Convolution(ctx.In("project"), activations.Relu(h)).Channels(cfg.Latent).KernelSize(1).Done()
}

// vqDecode maps quantised grids zq [N, h, w, Latent] (with one-hot labels
// y [N, Classes] as constant channels) to the likelihood's parameters
// [N, H, W, DecoderChannels]: a convolution to the last width, residual
// blocks, then the conv model's upsampling convolutions.
func vqDecode(ctx *context.Context, cfg Config, zq, y *Node) *Node {
	ctx = ctx.In("decoder")
	n := len(cfg.Widths)
	h := layers.Convolution(ctx.In("project"), withLabelChannels(zq, y)).
		Channels(cfg.Widths[n-1]).KernelSize(cfg.Kernel).PadSame().Done()
	for j := range cfg.Blocks {
		h = residualBlock(ctx.In(fmt.Sprintf("block%d", j)), cfg, h)
	}
	h = activations.Relu(h)
	return upConvs(ctx, cfg, h)
}

// UpdateQuantizer moves a pass's quantiser state after the optimiser's
// update in a training step: a VQ model's codebook moving averages and
// dead-code restarts (VQ.UpdateCodebook, on the pass's encoder outputs
// and their codes); nothing for any other model.
func UpdateQuantizer(ctx *context.Context, cfg Config, p Pass) {
	if cfg.Network() != VQModel || cfg.Quantizer != QuantizerVQ {
		return
	}
	g := p.Groups[0]
	idx := ConvertDType(Reshape(Slice(g.Z, AxisRange(), AxisRange(0, 1)), -1), dtypes.Int32)
	vqOf(cfg).UpdateCodebook(ctx, Reshape(g.Mean, -1, cfg.Latent), idx)
}

// IsQuantizerState reports whether a variable of scope is a VQ model's
// codebook state (VQScope): learned, though not by the optimiser when the
// codebook moves by moving averages.
func IsQuantizerState(scope string) bool { return scope == "/"+VQScope }

// IsCodebook reports whether the variable name of scope is a VQ model's
// codebook [K, D], which decoding an index grid reads (VQ.Lookup).
func IsCodebook(scope, name string) bool { return IsQuantizerState(scope) && name == CodebookName }

// Quantized reports whether cfg's model quantises its code (a vq model):
// its training and evaluation report the codes' use.
func Quantized(cfg Config) bool { return cfg.Network() == VQModel }

// PassUsage returns the codebook perplexity and the fraction of codes
// used (CodeUsage) of a quantised model's pass (its first draw's codes).
func PassUsage(cfg Config, p Pass) (perplexity, used *Node) {
	idx := ConvertDType(Slice(p.Groups[0].Z, AxisRange(), AxisRange(0, 1)), dtypes.Int32)
	return CodeUsage(idx, cfg.Codes())
}
