package prior

// The transformer prior over a grid of discrete codes (a VQ or FSQ run's):
// a small causal decoder-only transformer that reads the grid in raster
// order and gives each cell's code a categorical distribution given the
// cells before it (and the label of a conditional run), so the
// log-probability of a grid is exact: the sum of its cells'.

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/parallel"
	"github.com/latent-vae/latent/internal/schedule"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
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
	table, pos := transformerEmbeddings(ctx, c, g)
	x := Add(Gather(table, ExpandAxes(tokens, -1)), pos) // [B, Cells, Width]
	for i := range c.Layers {
		blk := ctx.In(fmt.Sprintf("block%d", i))
		x = transformerBlock(blk, c, x, func(h *Node) *Node {
			return attention(blk, c, h, h, causalMask(g, c.Cells))
		})
	}
	x = layers.LayerNormalization(ctx.In("outnorm"), x, -1).Done()
	return cellDense(ctx.In("out"), x, c.Codes)
}

// transformerEmbeddings are the token table [Codes+start tokens, Width]
// and the position embeddings [1, Cells, Width] of the network in ctx
// ("transformer").
func transformerEmbeddings(ctx *context.Context, c TransformerConfig, g *Graph) (table, pos *Node) {
	emb := ctx.In("embed")
	table = emb.VariableWithShape("tokens", shapes.Make(dtypes.Float32, c.Codes+c.startTokens(), c.Width)).ValueGraph(g)
	pos = emb.VariableWithShape("positions", shapes.Make(dtypes.Float32, 1, c.Cells, c.Width)).ValueGraph(g)
	return table, pos
}

// transformerBlock is one block of the network, written once for the
// whole grid and for one cell at a time: x [B, N, Width] is the tokens'
// state, and attend the attention of its normalised state h [B, N, Width]
// to the cells each token may read (through attention).
func transformerBlock(blk *context.Context, c TransformerConfig, x *Node, attend func(h *Node) *Node) *Node {
	h := layers.LayerNormalization(blk.In("norm1"), x, -1).Done()
	x = Add(x, attend(h))
	h = layers.LayerNormalization(blk.In("norm2"), x, -1).Done()
	h = cellDense(blk.In("up"), h, 4*c.Width)
	h = cellDense(blk.In("down"), activations.Gelu(h), c.Width)
	return Add(x, h)
}

// attention is block blk's multi-head attention of queries q [B, Nq, Width]
// to the keys and values kv [B, Nk, Width], where mask (broadcastable to
// [B, Heads, Nq, Nk]) is true. It is GoMLX's layers.MultiHeadAttention
// written with cellDense's projections: that layer's dense projections
// take their gradient through DotGeneral's, a broadcast product and a sum
// that XLA runs as plain loops, which made a step of this prior about 5×
// slower at width 64 and worse as it grows (DESIGN.md).
func attention(blk *context.Context, c TransformerConfig, q, kv, mask *Node) *Node {
	ctx := blk.In("attention")
	d := c.Width / c.Heads
	heads := func(name string, x *Node) *Node {
		dims := x.Shape().Dimensions
		return Reshape(cellDense(ctx.In(name), x, c.Width), dims[0], dims[1], c.Heads, d)
	}
	query := MulScalar(heads("query", q), 1/math.Sqrt(float64(d)))
	logits := Einsum("bqhd,bkhd->bhqk", query, heads("key", kv))
	weights := MaskedSoftmax(logits, BroadcastToShape(mask, logits.Shape()), -1)
	out := Einsum("bhqk,bkhd->bqhd", weights, heads("value", kv))
	dims := q.Shape().Dimensions
	return cellDense(ctx.In("output"), Reshape(out, dims[0], dims[1], c.Width), c.Width)
}

// causalMask is the mask [1, 1, n, n] that lets token i read tokens 0 … i.
func causalMask(g *Graph, n int) *Node {
	rows := Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
	cols := Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
	return Reshape(GreaterOrEqual(rows, cols), 1, 1, n, n)
}

// TransformerStep is one cell of TransformerLogits with a cache of the
// cells before it, for drawing grids: prev [B] (int32) is the code of cell
// cell−1 (unread at cell 0, whose token is the start token of labels [B]),
// cell a scalar int32, and cache one [B, Cells, Width] per block: the
// normalised states that block's attention read at the cells before
// (its inputs, not their key and value projections, which are recomputed
// over the fixed-size cache, so that the block is GoMLX's
// MultiHeadAttention as the whole network runs it; zeros past cell).
// It returns the logits [B, Codes] of cell's code and the cache with
// cell's states written in, so that a grid takes Cells runs of one
// compiled graph, each over one cell, where TransformerLogits would
// rerun every cell for each.
func TransformerStep(ctx *context.Context, c TransformerConfig, prev, labels, cell *Node, cache []*Node) (*Node, []*Node) {
	ctx = ctx.In("transformer")
	g := prev.Graph()
	b := prev.Shape().Dimensions[0]
	start := Zeros(g, shapes.Make(prev.DType(), b))
	if c.Classes > 0 {
		start = ConvertDType(labels, prev.DType())
	}
	zero := ScalarZero(g, cell.DType())
	token := Where(BroadcastToDims(Equal(cell, zero), b), AddScalar(start, float64(c.Codes)), prev)
	table, pos := transformerEmbeddings(ctx, c, g)
	x := Add(Reshape(Gather(table, ExpandAxes(token, -1)), b, 1, c.Width), DynamicSlice(pos, []*Node{zero, cell, zero}, []int{1, 1, c.Width}))
	// Keys: the cells up to this one.
	seen := BroadcastToDims(ExpandAxes(LessOrEqual(Iota(g, shapes.Make(cell.DType(), c.Cells), 0), cell), 0), b, c.Cells)
	out := make([]*Node, len(cache))
	for i := range c.Layers {
		blk := ctx.In(fmt.Sprintf("block%d", i))
		x = transformerBlock(blk, c, x, func(h *Node) *Node {
			out[i] = DynamicUpdateSlice(cache[i], h, []*Node{zero, cell, zero})
			return attention(blk, c, h, out[i], Reshape(seen, b, 1, 1, c.Cells))
		})
	}
	x = layers.LayerNormalization(ctx.In("outnorm"), x, -1).Done()
	return Reshape(cellDense(ctx.In("out"), x, c.Codes), b, c.Codes), out
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
// time: each cell is one run of a compiled TransformerStep, which carries
// the cells before it in its cache.
type Transformer struct {
	cfg   TransformerConfig
	step  *context.Exec
	batch int
}

// NewTransformer compiles the network of the prior whose weights ctx holds
// for batches of batch grids.
func NewTransformer(b backends.Backend, ctx *context.Context, c TransformerConfig, batch int) (*Transformer, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("transformer prior: %w", err)
	}
	exec, err := context.NewExec(b, ctx.Reuse(), func(ctx *context.Context, in []*Node) []*Node {
		logits, cache := TransformerStep(ctx, c, in[0], in[1], in[2], in[3:])
		return append([]*Node{logits}, cache...)
	})
	if err != nil {
		return nil, fmt.Errorf("building the transformer sampler: %w", err)
	}
	return &Transformer{cfg: c, step: exec, batch: batch}, nil
}

// Finalize frees the compiled network.
func (t *Transformer) Finalize() { t.step.Finalize() }

// Sample draws n grids (n·Cells codes) with seed: each cell's logits are
// divided by temperature (0: the most likely code) and, with topK > 0,
// only the topK most likely codes are kept; a conditional prior takes one
// label per grid. Grid i depends on the seed and i only, not on n.
func (t *Transformer) Sample(n int, seed int64, temperature float64, topK int, labels []int) ([]int32, error) {
	return drawGrids(t.cfg, t.batch, n, seed, temperature, topK, labels, func() cellLogits { return &cachedCells{t: t} })
}

// cellLogits gives the logits of one batch of grids' cells in raster
// order: next(cell, grids, labels) returns [batch, Codes] for cell, given
// the batch's grids [batch, Cells] drawn up to cell and their labels.
type cellLogits interface {
	next(cell int, grids, labels []int32) ([]float32, error)
	close()
}

// drawGrids draws n grids of c, batch at a time, each cell from the logits
// a fresh cells() gives for its batch (Transformer.Sample's contract).
// Grid i draws from its own generator, seeded by seed and i.
func drawGrids(c TransformerConfig, batch, n int, seed int64, temperature float64, topK int, labels []int, cells func() cellLogits) ([]int32, error) {
	switch {
	case !(temperature >= 0):
		return nil, fmt.Errorf("temperature %v: want ≥ 0", temperature)
	case topK < 0:
		return nil, fmt.Errorf("top-k %d: want ≥ 0 (0: every code)", topK)
	case c.Classes > 0 && len(labels) != n:
		return nil, fmt.Errorf("%d labels for %d grids: a conditional prior takes one per grid", len(labels), n)
	}
	out := make([]int32, 0, n*c.Cells)
	for start := 0; start < n; start += batch {
		count := min(batch, n-start)
		grids, ys := make([]int32, batch*c.Cells), make([]int32, batch)
		rngs := make([]*rand.Rand, count)
		for i := range count {
			rngs[i] = rand.New(rand.NewPCG(uint64(seed), uint64(start+i)))
			if c.Classes > 0 {
				ys[i] = int32(labels[start+i])
			}
		}
		src := cells()
		for cell := range c.Cells {
			logits, err := src.next(cell, grids, ys)
			if err != nil {
				src.close()
				return nil, fmt.Errorf("transformer prior, cell %d: %w", cell, err)
			}
			parallel.Ranges(count, func(_, lo, hi int) { // each grid its own generator: the same draws on any split
				for i := lo; i < hi; i++ {
					grids[i*c.Cells+cell] = int32(drawCode(rngs[i], logits[i*c.Codes:(i+1)*c.Codes], temperature, topK))
				}
			})
		}
		src.close()
		out = append(out, grids[:count*c.Cells]...)
	}
	return out, nil
}

// cachedCells runs TransformerStep for one batch, keeping its cache on
// the device between cells.
type cachedCells struct {
	t     *Transformer
	cache []*tensors.Tensor
}

func (s *cachedCells) next(cell int, grids, labels []int32) ([]float32, error) {
	c, batch := s.t.cfg, s.t.batch
	if s.cache == nil {
		for range c.Layers {
			s.cache = append(s.cache, tensors.FromShape(shapes.Make(dtypes.Float32, batch, c.Cells, c.Width)))
		}
	}
	prev := make([]int32, batch)
	if cell > 0 {
		for i := range prev {
			prev[i] = grids[i*c.Cells+cell-1]
		}
	}
	args := []any{tensors.FromFlatDataAndDimensions(prev, batch), tensors.FromFlatDataAndDimensions(labels, batch), int32(cell)}
	for _, v := range s.cache {
		args = append(args, v)
	}
	res, err := s.t.step.Exec(args...)
	if err != nil {
		return nil, err
	}
	s.close()
	s.cache = res[1:]
	logits := tensors.MustCopyFlatData[float32](res[0])
	res[0].FinalizeAll()
	return logits, nil
}

// close frees the cache.
func (s *cachedCells) close() {
	for _, v := range s.cache {
		v.FinalizeAll()
	}
	s.cache = nil
}

// drawCode draws an index from softmax(logits/temperature) restricted to
// the topK largest logits (all for 0), or the largest at temperature 0.
// The codes are taken in descendingOrder, so u falls in the same code's
// share however the sort is done.
func drawCode(rng *rand.Rand, logits []float32, temperature float64, topK int) int {
	order := descendingOrder(logits)
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

// descendingOrder is the indices of logits from the largest value to the
// smallest, equal values (−0 and +0 among them) by index: a stable sort's
// order, found by sorting one integer key per value (the value's bits
// made to order as unsigned integers, largest first, then the index),
// several times faster than a stable sort with a comparison function over
// a codebook's logits.
func descendingOrder(logits []float32) []int {
	keys := make([]uint64, len(logits))
	for i, v := range logits {
		bits := math.Float32bits(v + 0) // −0 + 0 is +0
		if bits&(1<<31) != 0 {
			bits = ^bits // negative: larger magnitude, smaller value
		} else {
			bits |= 1 << 31
		}
		keys[i] = uint64(^bits)<<32 | uint64(i) // ^: largest value first
	}
	slices.Sort(keys)
	order := make([]int, len(keys))
	for j, k := range keys {
		order[j] = int(uint32(k))
	}
	return order
}

// TransformerRecipe is a transformer prior's network size and fit: what
// `latent prior fit --kind transformer`'s flags set. The grid's cells, its
// codebook and the classes come from the run (Config).
type TransformerRecipe struct {
	Width     int     `json:"width"`      // the embedding's width
	Layers    int     `json:"layers"`     // transformer blocks
	Heads     int     `json:"heads"`      // attention heads per block
	Steps     int64   `json:"steps"`      // training steps
	BatchSize int     `json:"batch_size"` // grids per step
	LR        float64 `json:"lr"`         // Adam's learning rate
	EMA       float64 `json:"ema"`        // decay of the weights' moving average used to sample
}

// DefaultTransformer is the recipe `latent prior fit --kind transformer`
// uses unless told otherwise, sized for a 7×7 grid of codes on 2 CPU cores
// (the issue asks for a fit of at most 10 minutes). On the quiet 2-core
// Zen 4, 5,000 steps of 64 grids took 512 s at width 64 with 2 layers
// (about 620 grids/s; width 96 with 3 layers 290, width 128 with 4 layers
// 150), and the held-out loss still fell by 0.005 nats per cell per 500
// steps at the end (docs/models.md): 4,000 steps leave room for slower
// CPUs. (Those times are from before internal/malloc kept one arena, which
// made the steps 1.8× faster: bench/NOTES.md, "malloc".)
func DefaultTransformer() TransformerRecipe {
	return TransformerRecipe{Width: 64, Layers: 2, Heads: 4, Steps: 4000, BatchSize: 64, LR: 2e-3, EMA: 0.995}
}

// Validate reports the first field out of range.
func (r TransformerRecipe) Validate() error {
	switch {
	case r.Width < 1 || r.Layers < 1 || r.Heads < 1:
		return fmt.Errorf("width %d, layers %d, heads %d: want each at least 1", r.Width, r.Layers, r.Heads)
	case r.Width%r.Heads != 0:
		return fmt.Errorf("width %d: want a multiple of the %d heads", r.Width, r.Heads)
	case r.Steps < 1:
		return fmt.Errorf("steps %d: want at least 1", r.Steps)
	case r.BatchSize < 1:
		return fmt.Errorf("batch size %d: want at least 1", r.BatchSize)
	case !(r.LR > 0):
		return fmt.Errorf("learning rate %g: want > 0", r.LR)
	case !(r.EMA >= 0 && r.EMA < 1):
		return fmt.Errorf("EMA decay %g: want ≥ 0 and < 1", r.EMA)
	}
	return nil
}

// network is the transformer of a prior of cfg: its grid and codebook
// from the run, its size from the recipe.
func (r TransformerRecipe) network(cfg Config) TransformerConfig {
	return TransformerConfig{Codes: cfg.Codes, Cells: cfg.Latent, Classes: cfg.Classes, Width: r.Width, Layers: r.Layers, Heads: r.Heads}
}

// KindTransformer is the transformer prior: an autoregressive model of a
// discrete latent's code grid, conditional on the label for a conditional
// run.
const KindTransformer = "transformer"

func init() {
	register(Kind{Name: KindTransformer, Rank: 40, Draws: 1, Discrete: true,
		Help:  "an autoregressive transformer over a grid of discrete codes: minutes",
		Flags: transformerFlags,
		Open: func(s *Saved, b backends.Backend, opt OpenOptions) (Sampler, error) {
			t, err := s.Transformer(b, max(opt.Batch, 1))
			if err != nil {
				return nil, err
			}
			return transformerSampler{t, opt.TopK}, nil
		},
		Usable: func(s *Saved) error { return checkAttentionLayout(s.Ckpt) },
		Describe: func(c Config) string {
			if c.Transformer == nil {
				return c.Kind
			}
			r := c.Transformer
			return fmt.Sprintf("transformer (width %d, %d layers, %d heads, %d steps)", r.Width, r.Layers, r.Heads, r.Steps)
		},
	})
}

// transformerSampler draws grids from a transformer prior, keeping the
// topK most likely codes of each cell (0: every code).
type transformerSampler struct {
	t    *Transformer
	topK int
}

// Sample draws n grids as float32 indices (models.LatentKind's host codes).
func (s transformerSampler) Sample(n int, seed int64, temperature float64, labels []int) ([]float32, error) {
	idx, err := s.t.Sample(n, seed, temperature, s.topK, labels)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(idx))
	for i, v := range idx {
		out[i] = float32(v)
	}
	return out, nil
}

// Close frees the compiled network.
func (s transformerSampler) Close() { s.t.Finalize() }

// transformerContext restores the saved transformer prior's weights as it
// samples: their moving average when it keeps one. An incomplete config
// is an error naming the file.
func (s *Saved) transformerContext() (*context.Context, TransformerConfig, error) {
	r := s.Config.Transformer
	if r == nil {
		return nil, TransformerConfig{}, fmt.Errorf("%s: the transformer prior's config is incomplete", s.Ckpt.Path)
	}
	c := r.network(s.Config)
	if err := c.Validate(); err != nil {
		return nil, c, fmt.Errorf("%s: transformer prior: %w", s.Ckpt.Path, err)
	}
	if err := checkAttentionLayout(s.Ckpt); err != nil {
		return nil, c, err
	}
	// The context gets copies of the saved values, which UseAverages
	// replaces (and frees), so that s opens again (Open, then LogProb).
	ck := *s.Ckpt
	ck.Vars = slices.Clone(ck.Vars)
	for i := range ck.Vars {
		v, err := ck.Vars[i].Value.LocalClone()
		if err != nil {
			return nil, c, fmt.Errorf("%s: variable %s: %w", s.Ckpt.Path, ck.Vars[i].Name, err)
		}
		ck.Vars[i].Value = v
	}
	ctx := context.New()
	if err := ck.Restore(ctx); err != nil {
		return nil, c, fmt.Errorf("%s: %w", s.Ckpt.Path, err)
	}
	if r.EMA > 0 && s.Ckpt.Step > 0 {
		if err := rundir.UseAverages(ctx, r.EMA, s.Ckpt.Step); err != nil {
			return nil, c, fmt.Errorf("%s: %w", s.Ckpt.Path, err)
		}
	}
	return ctx, c, nil
}

// checkAttentionLayout refuses a transformer prior fitted before its
// attention projected through cellDense: one fitted with
// layers.MultiHeadAttention holds its weights under
// …/attention/MultiHeadAttention/, which this network does not read.
func checkAttentionLayout(ck *checkpoints.Checkpoint) error {
	for _, v := range ck.Vars {
		if strings.Contains(v.Scope, "/attention/MultiHeadAttention/") {
			return fmt.Errorf("%s: this transformer prior was fitted by an earlier latent, whose attention layer this one no longer builds; fit it again (latent prior fit --kind transformer)", ck.Path)
		}
	}
	return nil
}

// Transformer returns the saved transformer prior's sampler (its averaged
// weights when it keeps them), compiled on b for batches of batch grids.
func (s *Saved) Transformer(b backends.Backend, batch int) (*Transformer, error) {
	ctx, c, err := s.transformerContext()
	if err != nil {
		return nil, err
	}
	return NewTransformer(b, ctx, c, batch)
}

// LogProb is the exact log-probability, in nats, of each of the grids
// codes (n·Latent float32 indices, as a latent kind gives them; labels one
// per grid for a conditional prior, else nil) under the saved prior: the
// −log p_prior(codes) of a discrete run's bound. Only a prior whose kind
// gives exact log-probabilities (the transformer) has one;
// UniformLogProb is the default prior's.
func (s *Saved) LogProb(b backends.Backend, codes []float32, labels []int) ([]float64, error) {
	if s.Config.Kind != KindTransformer {
		return nil, fmt.Errorf("a %s prior gives no exact log-probability of a code", s.Config.Kind)
	}
	ctx, c, err := s.transformerContext()
	if err != nil {
		return nil, err
	}
	grids, err := gridIndices(codes, c)
	if err != nil {
		return nil, err
	}
	n := len(grids) / c.Cells
	if c.Classes > 0 && len(labels) != n {
		return nil, fmt.Errorf("%d labels for %d grids: a conditional prior takes one per grid", len(labels), n)
	}
	exec, err := context.NewExec(b, ctx.Reuse(), func(ctx *context.Context, codes, labels *Node) *Node {
		return GridLogProb(ctx, c, codes, labels)
	})
	if err != nil {
		return nil, fmt.Errorf("building the transformer prior's log-probability: %w", err)
	}
	defer exec.Finalize()
	const batch = 256
	out := make([]float64, 0, n)
	for start := 0; start < n; start += batch {
		count := min(batch, n-start)
		g, ys := make([]int32, batch*c.Cells), make([]int32, batch)
		copy(g, grids[start*c.Cells:(start+count)*c.Cells])
		for i := range count {
			if c.Classes > 0 {
				ys[i] = int32(labels[start+i])
			}
		}
		res, err := exec.Exec(tensors.FromFlatDataAndDimensions(g, batch, c.Cells), tensors.FromFlatDataAndDimensions(ys, batch))
		if err != nil {
			return nil, fmt.Errorf("transformer prior's log-probability: %w", err)
		}
		logp := tensors.MustCopyFlatData[float32](res[0])
		res[0].FinalizeAll()
		for _, v := range logp[:count] {
			out = append(out, float64(v))
		}
	}
	return out, nil
}

// UniformLogProb is the log-probability, in nats, of any grid of cells
// indices under the uniform prior over a codebook of codes: −cells·log K.
func UniformLogProb(cells, codes int) float64 { return -float64(cells) * math.Log(float64(codes)) }

// gridIndices converts codes (float32 indices) to the int32 grids of c,
// refusing a value that is no index of its codebook.
func gridIndices[T float32 | float64](codes []T, c TransformerConfig) ([]int32, error) {
	if len(codes)%c.Cells != 0 {
		return nil, fmt.Errorf("%d code values: not whole grids of %d cells", len(codes), c.Cells)
	}
	out := make([]int32, len(codes))
	for i, v := range codes {
		if !(v >= 0 && v < T(c.Codes)) || v != T(math.Trunc(float64(v))) {
			return nil, fmt.Errorf("grid %d, cell %d: %v is no index of a codebook of %d codes", i/c.Cells, i%c.Cells, v, c.Codes)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// FitTransformer trains a transformer prior of cfg (cfg.Transformer its
// recipe) on the training grids (fitNetwork: Adam after a warm-up, a
// moving average of the weights, checkpoints, resume, a lock on dir, the
// held-out loss, nats per cell, in metrics.csv).
func FitTransformer(b backends.Backend, dir string, cfg Config, training, heldOut Codes, opt FitOptions) error {
	cfg.Kind = KindTransformer
	if cfg.Transformer == nil {
		return fmt.Errorf("transformer prior: no recipe")
	}
	if err := cfg.Transformer.Validate(); err != nil {
		return fmt.Errorf("transformer prior: %w", err)
	}
	c := cfg.Transformer.network(cfg)
	if err := c.Validate(); err != nil {
		return fmt.Errorf("transformer prior: %w", err)
	}
	train, err := gridIndices(training.Z, c)
	if err != nil {
		return fmt.Errorf("training codes: %w", err)
	}
	test, err := gridIndices(heldOut.Z, c)
	if err != nil {
		return fmt.Errorf("held-out codes: %w", err)
	}
	return lockedFit(dir, func() error {
		ctx, start, saved, err := netContext(dir, cfg, opt.Resume)
		if err != nil {
			return err
		}
		if saved != nil {
			if saved.Transformer == nil {
				return fmt.Errorf("%s: holds no transformer prior's config", dir)
			}
			if was := saved.Transformer.network(*saved); was != c {
				return fmt.Errorf("%s: the fit to resume is of a transformer of width %d, %d layers, %d heads: give those (--width %d --layers %d --heads %d)",
					dir, was.Width, was.Layers, was.Heads, was.Width, was.Layers, was.Heads)
			}
		}
		net := &transformerNet{cfg: cfg, net: c, train: train, test: test, trainLabels: training.Labels, testLabels: heldOut.Labels}
		return fitNetwork(b, dir, cfg, ctx, start, net, opt)
	})
}

// transformerNet is the transformer prior's fit: the mean negative
// log-probability per cell of the grids.
type transformerNet struct {
	cfg                     Config
	net                     TransformerConfig
	train, test             []int32 // grids, Cells indices each
	trainLabels, testLabels []int
}

func (n *transformerNet) what() string { return "transformer prior" }

func (n *transformerNet) recipe() netRecipe {
	r := n.cfg.Transformer
	return netRecipe{Steps: r.Steps, LR: r.LR, Schedule: schedule.LR{Peak: r.LR, Warmup: WarmupSteps, Cosine: true, End: r.Steps}, EMA: r.EMA}
}

func (n *transformerNet) loss(ctx *context.Context, in []*Node) *Node {
	return GridLoss(ctx, n.net, in[0], in[1])
}

func (n *transformerNet) heldOutLoss(ctx *context.Context, in []*Node) *Node {
	return GridLoss(ctx, n.net, in[0], in[1])
}

// batch returns step's batch: grids drawn with replacement by a generator
// seeded by the seed and the step, and their labels.
func (n *transformerNet) batch(step int64) []*tensors.Tensor {
	cells, bs := n.net.Cells, n.cfg.Transformer.BatchSize
	rows := len(n.train) / cells
	rng := rand.New(rand.NewPCG(uint64(n.cfg.Seed), uint64(step)))
	g, y := make([]int32, bs*cells), make([]int32, bs)
	for i := range bs {
		j := rng.IntN(rows)
		copy(g[i*cells:(i+1)*cells], n.train[j*cells:(j+1)*cells])
		if n.trainLabels != nil {
			y[i] = int32(n.trainLabels[j])
		}
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(g, bs, cells), tensors.FromFlatDataAndDimensions(y, bs)}
}

// heldOut is the held-out grids (up to 4,096 of them) and their labels.
func (n *transformerNet) heldOut() []*tensors.Tensor {
	cells := n.net.Cells
	rows := min(len(n.test)/cells, 4096)
	if rows == 0 {
		return nil
	}
	y := make([]int32, rows)
	for i := range y {
		if n.testLabels != nil {
			y[i] = int32(n.testLabels[i])
		}
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(n.test[:rows*cells], rows, cells), tensors.FromFlatDataAndDimensions(y, rows)}
}

// transformerRecipe is a transformer fit: its recipe's flags and --resume.
type transformerRecipe struct {
	cfg    TransformerRecipe
	resume *bool
}

// transformerFlags defines the transformer prior's flags, DefaultTransformer's
// values their defaults; --steps, --width, --batch, --lr, --ema and
// --resume are one flag with the diffusion prior's (DefineFitFlags).
func transformerFlags(fs *flag.FlagSet) Recipe {
	r := &transformerRecipe{cfg: DefaultTransformer()}
	r.resume = fs.Bool("resume", false, "transformer: continue the fit from its latest checkpoint to --steps")
	c := &r.cfg
	fs.Int64Var(&c.Steps, "steps", c.Steps, "transformer: training steps")
	fs.IntVar(&c.Width, "width", c.Width, "transformer: width of the code embedding")
	fs.IntVar(&c.Layers, "layers", c.Layers, "transformer: transformer blocks")
	fs.IntVar(&c.Heads, "heads", c.Heads, "transformer: attention heads per block (--width a multiple of them)")
	fs.IntVar(&c.BatchSize, "batch", c.BatchSize, "transformer: grids per training step")
	fs.Float64Var(&c.LR, "lr", c.LR, "transformer: Adam's learning rate")
	fs.Float64Var(&c.EMA, "ema", c.EMA, "transformer: decay of the weights' moving average that samples (0: none)")
	return r
}

// Check refuses a recipe out of range (TransformerRecipe.Validate).
func (r *transformerRecipe) Check() error {
	if err := r.cfg.Validate(); err != nil {
		return fmt.Errorf("transformer flags: %w", err)
	}
	return nil
}

// Resume is --resume.
func (r *transformerRecipe) Resume() bool { return *r.resume }

// Ready refuses a run without a codebook and a resumed fit that has done
// --steps already.
func (r *transformerRecipe) Ready(w *Workspace, cfg Config, _ []int) error {
	if cfg.Codes < 2 {
		return fmt.Errorf("a transformer prior needs a grid of indices into a codebook, and the run's code has none")
	}
	return w.needMoreSteps(r.cfg.Steps)
}

// Fit trains the transformer on the grids (FitTransformer).
func (r *transformerRecipe) Fit(j Job) (string, error) {
	cfg, w := j.Config, j.Workspace
	cfg.Components, cfg.Diffusion, cfg.Transformer = 0, nil, &r.cfg
	opt := FitOptions{Resume: w.Done > 0, SaveEvery: 500, EvalEvery: 500, Stop: j.Stop,
		Progress: j.progress("fitting the transformer prior", r.cfg.Steps)}
	if err := FitTransformer(j.Backend, w.Dir, cfg, j.Training, j.HeldOut, opt); err != nil {
		return "", err
	}
	from := w.resumedAt()
	return fmt.Sprintf("fitted a transformer prior (width %d, %d layers, %d heads, %d steps%s) to %d grids of %d codes in %.1fs; saved in %s (metrics.csv: held-out loss, nats per cell)\n",
		r.cfg.Width, r.cfg.Layers, r.cfg.Heads, r.cfg.Steps, from, len(j.Training.Z)/max(cfg.Latent, 1), cfg.Codes, time.Since(j.Start).Seconds(), w.Final), nil
}
