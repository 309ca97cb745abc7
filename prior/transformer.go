package prior

// The transformer prior over a grid of discrete codes (a VQ or FSQ run's):
// a small causal decoder-only transformer that reads the grid in raster
// order and gives each cell's code a categorical distribution given the
// cells before it (and the label of a conditional run), so the
// log-probability of a grid is exact: the sum of its cells'.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/latent-vae/latent/models"
)

// TransformerConfig is the transformer prior's network.
type TransformerConfig struct {
	Codes   int `json:"codes"`   // K: codes per cell (a codebook's size)
	Cells   int `json:"cells"`   // H·W: cells of a grid, read in raster order
	Classes int `json:"classes"` // > 0: conditional on the label, given as the first token
	Width   int `json:"width"`   // the embedding's width
	Layers  int `json:"layers"`  // transformer blocks
	Heads   int `json:"heads"`   // attention heads per block (Width divisible by Heads)
}

// Validate checks c.
func (c TransformerConfig) Validate() error {
	switch {
	case c.Codes < 2:
		return fmt.Errorf("codes %d: want at least 2", c.Codes)
	case c.Cells < 1:
		return fmt.Errorf("cells %d: want at least 1", c.Cells)
	case c.Classes < 0 || c.Classes == 1:
		return fmt.Errorf("classes %d: want 0 (unconditional) or at least 2", c.Classes)
	case c.Width < 1 || c.Layers < 1 || c.Heads < 1:
		return fmt.Errorf("width %d, layers %d, heads %d: want each at least 1", c.Width, c.Layers, c.Heads)
	case c.Width%c.Heads != 0:
		return fmt.Errorf("width %d: want a multiple of the %d heads", c.Width, c.Heads)
	}
	return nil
}

// startTokens is how many first tokens there are: one per class, or one.
func (c TransformerConfig) startTokens() int { return max(c.Classes, 1) }

// TransformerLogits are the logits [B, Cells, Codes] of each cell's code
// given the cells before it: codes [B, Cells] (int32) is the grid, of which
// the last cell is never read, and labels [B] (int32) the classes of a
// conditional prior (nil otherwise). Cell i reads the start token (the
// label's) and cells 0 … i−1.
func TransformerLogits(ctx *context.Context, c TransformerConfig, codes, labels *Node) *Node {
	ctx = ctx.In("transformer")
	g := codes.Graph()
	b := codes.Shape().Dimensions[0]
	start := Zeros(g, shapes.Make(codes.DType(), b, 1))
	if c.Classes > 0 {
		start = Reshape(ConvertDType(labels, codes.DType()), b, 1)
	}
	// Tokens: the start token (ids Codes …), then cells 0 … Cells−2.
	tokens := Concatenate([]*Node{AddScalar(start, float64(c.Codes)), Slice(codes, AxisRange(), AxisRange(0, c.Cells-1))}, 1)
	table := ctx.In("embed").VariableWithShape("tokens", shapes.Make(dtypes.Float32, c.Codes+c.startTokens(), c.Width)).ValueGraph(g)
	x := Gather(table, ExpandAxes(tokens, -1)) // [B, Cells, Width]
	pos := ctx.In("embed").VariableWithShape("positions", shapes.Make(x.DType(), 1, c.Cells, c.Width)).ValueGraph(g)
	x = Add(x, pos)
	for i := range c.Layers {
		blk := ctx.In(fmt.Sprintf("block%d", i))
		h := layers.LayerNormalization(blk.In("norm1"), x, -1).Done()
		h = layers.MultiHeadAttention(blk.In("attention"), h, h, h, c.Heads, c.Width/c.Heads).
			UseCausalMask().SetOutputDim(c.Width).Done()
		x = Add(x, h)
		h = layers.LayerNormalization(blk.In("norm2"), x, -1).Done()
		h = cellDense(blk.In("up"), h, 4*c.Width)
		h = cellDense(blk.In("down"), activations.Gelu(h), c.Width)
		x = Add(x, h)
	}
	x = layers.LayerNormalization(ctx.In("outnorm"), x, -1).Done()
	return cellDense(ctx.In("out"), x, c.Codes)
}

// cellDense is a dense layer applied to every cell of x [B, N, W].
func cellDense(ctx *context.Context, x *Node, units int) *Node {
	d := x.Shape().Dimensions
	return Reshape(models.Dense(ctx, Reshape(x, d[0]*d[1], d[2]), units), d[0], d[1], units)
}

// GridLogProb is the exact log-probability [B] (nats) of each grid codes
// [B, Cells] (int32): the sum over cells of log p(code | cells before, label).
func GridLogProb(ctx *context.Context, c TransformerConfig, codes, labels *Node) *Node {
	logp := LogSoftmax(TransformerLogits(ctx, c, codes, labels), -1)
	onehot := OneHot(codes, c.Codes, logp.DType())
	return ReduceSum(Mul(logp, onehot), 1, 2)
}

// GridLoss is the mean negative log-probability per cell of a batch of
// grids, the loss the transformer prior is fitted by.
func GridLoss(ctx *context.Context, c TransformerConfig, codes, labels *Node) *Node {
	return DivScalar(ReduceAllMean(Neg(GridLogProb(ctx, c, codes, labels))), float64(c.Cells))
}

// Transformer draws grids from a fitted transformer prior, one cell at a
// time: each draw runs the compiled network on the grid drawn so far.
type Transformer struct {
	cfg    TransformerConfig
	logits *context.Exec
	batch  int
}

// NewTransformer compiles the network of the prior whose weights ctx holds
// for batches of batch grids.
func NewTransformer(b backends.Backend, ctx *context.Context, c TransformerConfig, batch int) (*Transformer, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("transformer prior: %w", err)
	}
	exec, err := context.NewExec(b, ctx.Reuse(), func(ctx *context.Context, codes, labels *Node) *Node {
		return TransformerLogits(ctx, c, codes, labels)
	})
	if err != nil {
		return nil, fmt.Errorf("building the transformer sampler: %w", err)
	}
	return &Transformer{cfg: c, logits: exec, batch: batch}, nil
}

// Finalize frees the compiled network.
func (t *Transformer) Finalize() { t.logits.Finalize() }

// Sample draws n grids (n·Cells codes) with seed: each cell's logits are
// divided by temperature (0: the most likely code) and, with topK > 0,
// only the topK most likely codes are kept; a conditional prior takes one
// label per grid. Grid i depends on the seed and i only, not on n.
func (t *Transformer) Sample(n int, seed int64, temperature float64, topK int, labels []int) ([]int32, error) {
	switch {
	case !(temperature >= 0):
		return nil, fmt.Errorf("temperature %v: want ≥ 0", temperature)
	case topK < 0:
		return nil, fmt.Errorf("top-k %d: want ≥ 0 (0: every code)", topK)
	case t.cfg.Classes > 0 && len(labels) != n:
		return nil, fmt.Errorf("%d labels for %d grids: a conditional prior takes one per grid", len(labels), n)
	}
	cells := t.cfg.Cells
	out := make([]int32, 0, n*cells)
	for start := 0; start < n; start += t.batch {
		count := min(t.batch, n-start)
		grids, ys := make([]int32, t.batch*cells), make([]int32, t.batch)
		rngs := make([]*rand.Rand, count)
		for i := range count {
			rngs[i] = rand.New(rand.NewPCG(uint64(seed), uint64(start+i)))
			if t.cfg.Classes > 0 {
				ys[i] = int32(labels[start+i])
			}
		}
		for cell := range cells {
			res, err := t.logits.Exec(tensors.FromFlatDataAndDimensions(grids, t.batch, cells), tensors.FromFlatDataAndDimensions(ys, t.batch))
			if err != nil {
				return nil, fmt.Errorf("transformer prior, cell %d: %w", cell, err)
			}
			logits := tensors.MustCopyFlatData[float32](res[0])
			res[0].FinalizeAll()
			k := t.cfg.Codes
			for i := range count {
				row := logits[(i*cells+cell)*k : (i*cells+cell+1)*k]
				grids[i*cells+cell] = int32(drawCode(rngs[i], row, temperature, topK))
			}
		}
		out = append(out, grids[:count*cells]...)
	}
	return out, nil
}

// drawCode draws an index from softmax(logits/temperature) restricted to
// the topK largest logits (all for 0), or the largest at temperature 0.
func drawCode(rng *rand.Rand, logits []float32, temperature float64, topK int) int {
	order := make([]int, len(logits))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpDesc(logits[a], logits[b]) })
	u := rng.Float64() // drawn even at temperature 0, so later draws do not depend on it
	if temperature == 0 {
		return order[0]
	}
	if topK > 0 && topK < len(order) {
		order = order[:topK]
	}
	top := float64(logits[order[0]])
	weights := make([]float64, len(order))
	var sum float64
	for j, i := range order {
		weights[j] = math.Exp((float64(logits[i]) - top) / temperature)
		sum += weights[j]
	}
	u *= sum
	for j, w := range weights {
		if u < w {
			return order[j]
		}
		u -= w
	}
	return order[len(order)-1]
}

// cmpDesc orders float32s from largest to smallest.
func cmpDesc(a, b float32) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
