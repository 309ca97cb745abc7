package models

// Quantisers for discrete latents (issue 35): vector quantisation with a
// learned codebook (VQ, van den Oord et al. 2017, "Neural Discrete
// Representation Learning", appendix A.1 for the moving averages) and
// finite scalar quantisation (FSQ, Mentzer et al. 2023). Both map an
// encoder's grid of vectors [B, H, W, D] to codes and back; no model uses
// them yet.
//
// References followed (read, not copied): Pythae's
// pythae/models/vq_vae/vq_vae_utils.py (Quantizer, QuantizerEMA),
// lucidrains/vector-quantize-pytorch's vector_quantize_pytorch.py
// (EuclideanCodebook: the moving averages, laplace_smoothing,
// expire_codes_/replace) and finite_scalar_quantization.py (bound, quantize,
// codes_to_indices, indices_to_codes), and the threads Pythae#124 (losses
// summed, not averaged), sonnet#170, #187 and #248 (the moving averages),
// zalandoresearch/pytorch-vq-vae#5 (quantise with the codebook before its
// update) and nadavbh12/VQ-VAE#11 (the cluster sizes' start).

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// The codebook update rules, the values of VQ.Update.
const (
	// CodebookEMA moves each code to the moving average of the encoder
	// outputs assigned to it; the codebook is not trained by the optimiser
	// and the loss has only the commitment term.
	CodebookEMA = "ema"
	// CodebookGradient trains the codebook with the optimiser through the
	// codebook term ‖sg(z) − e‖² of the loss.
	CodebookGradient = "gradient"
)

// VQScope is the scope, under the context a VQ is given, of its variables:
// "codebook" [K, D] and "cluster_size" [K], the moving average of how many
// vectors of a batch each code was assigned (kept, and used for dead-code
// restarts, under both update rules).
const VQScope = "vq"

// VQ is a vector quantiser: a codebook of K vectors of dimension D, each
// encoder output replaced by its nearest code (Euclidean; exact ties go to
// the lowest index) with the straight-through estimator, so the decoder's
// gradient reaches the encoder unchanged.
//
// The loss, per example and summed (not averaged) over the grid and the D
// channels, to sit on the scale of a reconstruction NLL summed over pixels
// (Pythae#124), is β‖z − sg(e)‖² (the commitment term), plus ‖sg(z) − e‖²
// (the codebook term) when Update is CodebookGradient.
//
// The codebook starts uniform in [−1/K, 1/K] (Pythae, Sonnet v1) and the
// cluster sizes at 1, as if each code had been assigned itself once: then
// the moving-average sums m = e·Ñ (below) start consistent with the codes,
// and a code no vector picks stays nearly in place (e·γ^t/(γ^t + ε) after t
// steps) instead of being divided by the Laplace ε at the first update, as
// from Sonnet's zero start (nadavbh12/VQ-VAE#11).
type VQ struct {
	// K is the number of codes, D their dimension (the encoder's channels).
	K, D int
	// Beta weights the commitment term: 0.25 in the paper.
	Beta float64
	// Decay is the moving averages' decay γ (0.99 in the paper).
	Decay float64
	// Epsilon is the Laplace smoothing of the cluster sizes (1e-5).
	Epsilon float64
	// DeadThreshold: after an update, a code whose moving-average cluster
	// size is below it is re-seeded from a random encoder output of the
	// batch, and its cluster size set to DeadThreshold
	// (vector-quantize-pytorch's threshold_ema_dead_code and
	// reset_cluster_size). A code of cluster size N unused for s steps
	// has N·γ^s left, so it is restarted after ln(N/T)/ln(1/γ) idle steps
	// (about 250 for N = 12, T = 1, γ = 0.99), and a restarted one must be
	// picked at the next step. 0 turns restarts off.
	DeadThreshold float64
	// Update is CodebookEMA or CodebookGradient.
	Update string
}

// DefaultVQ returns a VQ of k codes of dimension d with the paper's
// settings, β = 0.25 and moving averages with γ = 0.99 and ε = 1e-5, and
// restarts of codes averaging under one vector a batch. As the cluster
// sizes start at 1, the first update re-seeds every code the first batch
// left unused: an initialisation from the data.
func DefaultVQ(k, d int) VQ {
	return VQ{K: k, D: d, Beta: 0.25, Decay: 0.99, Epsilon: 1e-5, DeadThreshold: 1, Update: CodebookEMA}
}

// Validate reports a setting out of range.
func (q VQ) Validate() error {
	switch {
	case q.K < 1 || q.D < 1:
		return fmt.Errorf("vq: %d codes of dimension %d: both must be at least 1", q.K, q.D)
	case !(q.Beta >= 0):
		return fmt.Errorf("vq: commitment weight %v: must be ≥ 0", q.Beta)
	case !(q.Decay >= 0 && q.Decay < 1):
		return fmt.Errorf("vq: decay %v: must be in [0, 1)", q.Decay)
	case !(q.Epsilon > 0):
		return fmt.Errorf("vq: Laplace smoothing %v: must be > 0", q.Epsilon)
	case !(q.DeadThreshold >= 0):
		return fmt.Errorf("vq: dead-code threshold %v: must be ≥ 0", q.DeadThreshold)
	case q.Update != CodebookEMA && q.Update != CodebookGradient:
		return fmt.Errorf("vq: codebook update %q: want %q or %q", q.Update, CodebookEMA, CodebookGradient)
	}
	return nil
}

// CodebookName is the name of a VQ model's codebook variable under VQScope.
const CodebookName = "codebook"

// CodebookVar returns the codebook variable [K, D] of q in ctx (under
// VQScope), creating it if needed; it is trainable only with
// CodebookGradient.
func (q VQ) CodebookVar(ctx *context.Context, dtype dtypes.DType) *context.Variable {
	r := 1 / float64(q.K)
	init := initializers.RandomUniformFn(ctx, -r, r)
	return vqVariable(ctx, CodebookName, init, shapes.Make(dtype, q.K, q.D)).SetTrainable(q.Update == CodebookGradient)
}

// ClusterSizeVar returns the moving average of the codes' cluster sizes
// [K] in ctx (under VQScope), creating it, at 1, if needed.
func (q VQ) ClusterSizeVar(ctx *context.Context, dtype dtypes.DType) *context.Variable {
	return vqVariable(ctx, "cluster_size", initializers.One, shapes.Make(dtype, q.K)).SetTrainable(false)
}

// vqVariable returns the variable name under VQScope of ctx: the existing
// one (Quantize and UpdateCodebook both read it in one graph, which a
// checked context would refuse as a second creation), else a new one made
// under ctx's checks (a Reuse context without it panics).
func vqVariable(ctx *context.Context, name string, init initializers.VariableInitializer, shape shapes.Shape) *context.Variable {
	c := ctx.In(VQScope)
	if v := c.GetVariableByScopeAndName(c.Scope(), name); v != nil {
		if !v.Shape().Equal(shape) {
			panic(fmt.Sprintf("vq: variable %s/%s is %s, want %s", c.Scope(), name, v.Shape(), shape))
		}
		return v
	}
	return c.WithInitializer(init).VariableWithShape(name, shape)
}

// VQOutput is what VQ.Quantize gives for a grid z of shape [B, ..., D].
type VQOutput struct {
	// Quantized is z + sg(e − z) [B, ..., D]: the nearest codes e, with
	// z's gradient.
	Quantized *Node
	// Indices [B, ...] (int32) are the codes' indices.
	Indices *Node
	// Loss [B] is the quantiser's loss term of each example: Commitment,
	// plus the codebook term with CodebookGradient.
	Loss *Node
	// Commitment [B] is β‖z − sg(e)‖² of each example.
	Commitment *Node
}

// Quantize replaces each D-vector of z [B, ..., D] by its nearest code.
// It changes no variable: a training step calls UpdateCodebook after its
// optimiser's update.
func (q VQ) Quantize(ctx *context.Context, z *Node) VQOutput {
	dims := z.Shape().Dimensions
	if dims[len(dims)-1] != q.D {
		panic(fmt.Sprintf("vq: input %s: want last axis %d", z.Shape(), q.D))
	}
	e := q.CodebookVar(ctx, z.DType()).ValueGraph(z.Graph())
	flat := Reshape(z, -1, q.D)
	idx := nearestCode(flat, e)
	zq := Reshape(Dot(OneHot(idx, q.K, z.DType()), e), dims...)
	perExample := func(x *Node) *Node { return ReduceSum(Reshape(x, dims[0], -1), 1) }
	commit := MulScalar(perExample(Square(Sub(z, StopGradient(zq)))), q.Beta)
	loss := commit
	if q.Update == CodebookGradient {
		loss = Add(loss, perExample(Square(Sub(zq, StopGradient(z)))))
	}
	return VQOutput{
		Quantized:  Add(z, StopGradient(Sub(zq, z))),
		Indices:    Reshape(idx, dims[:len(dims)-1]...),
		Loss:       loss,
		Commitment: commit,
	}
}

// nearestCode returns, for each row of flat [N, D], the index [N] of the
// nearest row of codes [K, D]: argmin ‖e‖² − 2 z·e (‖z‖² is the same for
// every code), ties to the lowest index.
func nearestCode(flat, codes *Node) *Node {
	sq := ExpandAxes(ReduceSum(Square(codes), 1), 0) // [1, K]
	dist := Sub(BroadcastToDims(sq, flat.Shape().Dimensions[0], codes.Shape().Dimensions[0]),
		MulScalar(Dot(flat, Transpose(codes, 0, 1)), 2))
	return ArgMin(StopGradient(dist), 1)
}

// Lookup returns the codes [..., D] of indices [...].
func (q VQ) Lookup(ctx *context.Context, indices *Node, dtype dtypes.DType) *Node {
	e := q.CodebookVar(ctx, dtype).ValueGraph(indices.Graph())
	return Gather(e, ExpandAxes(ConvertDType(indices, dtypes.Int32), -1))
}

// UpdateCodebook moves q's variables after a training step on the encoder
// outputs z [B, ..., D] and their codes indices: Quantize's, chosen by the
// codebook before this update (zalandoresearch/pytorch-vq-vae#5). Call it
// after the optimiser's update: the optimiser takes its gradients at the
// variables' current values in the graph, and with CodebookGradient the
// codebook's must still be the one the loss read.
//
// With n_k the number of vectors of the batch assigned code k and s_k
// their sum, the moving averages (the paper's appendix A.1, Sonnet's
// VectorQuantizerEMA) are
//
//	N ← γN + (1 − γ)n,   m ← γm + (1 − γ)s,   e = m / Ñ,
//	Ñ_k = (N_k + ε) / (ΣN + Kε) · ΣN.
//
// N is kept raw: only its smoothed copy Ñ divides (Pythae's QuantizerEMA
// stores the smoothed sizes back, smoothing again at every step). m is not
// stored: it is e·Ñ of the stored N, what the last update divided it by.
// With CodebookGradient only N moves. Then, with DeadThreshold > 0, every
// code with N_k < DeadThreshold becomes a random vector of z (drawn with
// replacement from ctx's RNG, as vector-quantize-pytorch draws when the
// batch has fewer vectors than dead codes), with N_k = DeadThreshold.
func (q VQ) UpdateCodebook(ctx *context.Context, z, indices *Node) {
	g := z.Graph()
	flat := StopGradient(Reshape(z, -1, q.D))
	oneHot := OneHot(Reshape(indices, -1), q.K, z.DType())
	nVar, eVar := q.ClusterSizeVar(ctx, z.DType()), q.CodebookVar(ctx, z.DType())
	nOld, e := nVar.ValueGraph(g), eVar.ValueGraph(g)
	n := Add(MulScalar(nOld, q.Decay), MulScalar(ReduceSum(oneHot, 0), 1-q.Decay))
	if q.Update == CodebookEMA {
		m := Mul(e, q.perCode(q.smooth(nOld)))
		sums := Dot(Transpose(oneHot, 0, 1), flat)
		m = Add(MulScalar(m, q.Decay), MulScalar(sums, 1-q.Decay))
		e = Div(m, q.perCode(q.smooth(n)))
	}
	if q.DeadThreshold > 0 {
		e, n = q.restart(ctx, flat, e, n)
	}
	eVar.SetValueGraph(e)
	nVar.SetValueGraph(n)
}

// smooth returns the Laplace-smoothed cluster sizes Ñ of n [K].
func (q VQ) smooth(n *Node) *Node {
	total := ReduceAllSum(n)
	return Mul(AddScalar(n, q.Epsilon), Div(total, AddScalar(total, float64(q.K)*q.Epsilon)))
}

// perCode broadcasts x [K] to [K, D].
func (q VQ) perCode(x *Node) *Node {
	return BroadcastToDims(ExpandAxes(x, -1), q.K, q.D)
}

// restart re-seeds the codes of e [K, D] whose cluster size in n [K] is
// under q.DeadThreshold with random rows of flat [N, D].
func (q VQ) restart(ctx *context.Context, flat, e, n *Node) (*Node, *Node) {
	g := flat.Graph()
	threshold := Scalar(g, n.DType(), q.DeadThreshold)
	dead := LessThan(n, threshold)
	pick := ctx.RandomIntN(g, int32(flat.Shape().Dimensions[0]), shapes.Make(dtypes.Int32, q.K))
	seeds := Gather(flat, ExpandAxes(pick, -1))
	return Where(dead, seeds, e), Where(dead, threshold, n)
}

// CodeUsage returns, for indices [...] into a codebook of k codes, the
// perplexity exp(H) of the codes' frequencies in the batch (H their entropy
// in nats: k when all are used equally, 1 when one code takes all) and the
// fraction of the k codes used at least once, as float32 scalars.
func CodeUsage(indices *Node, k int) (perplexity, used *Node) {
	counts := ReduceSum(OneHot(Reshape(indices, -1), k, dtypes.Float32), 0)
	zero := ZerosLike(counts)
	p := DivScalar(counts, float64(indices.Shape().Size()))
	pLogP := Where(GreaterThan(p, zero), Mul(p, Log(p)), zero)
	perplexity = Exp(Neg(ReduceAllSum(pLogP)))
	used = DivScalar(ReduceAllSum(ConvertDType(GreaterThan(counts, zero), dtypes.Float32)), float64(k))
	return perplexity, used
}

// FSQ is finite scalar quantisation (Mentzer et al. 2023, "Finite Scalar
// Quantization: VQ-VAE Made Simple", appendix A.1; lucidrains'
// finite_scalar_quantization.py): channel i of the encoder's output is
// bounded and rounded to one of L_i levels, with the straight-through
// estimator. Its codebook is implicit, the ∏L_i points of the grid: none
// can collapse or die, and it has no variables and no loss term.
//
// The codes are in [−1, 1]: with h = ⌊L/2⌋, the levels −h … h over h for
// odd L, and −h … h−1 over h for even L.
type FSQ struct {
	// Levels are the L_i, one a channel, each at least 2; the paper's
	// 1000-code choice is [8 5 5 5].
	Levels []int
}

// fsqEps widens the bound so that its extreme levels are reached at a
// finite input, as the reference's eps = 1e-3.
const fsqEps = 1e-3

// Validate reports levels under 2, or more codes than an int32 counts.
func (f FSQ) Validate() error {
	if len(f.Levels) == 0 {
		return fmt.Errorf("fsq: no levels")
	}
	size := 1
	for _, l := range f.Levels {
		if l < 2 {
			return fmt.Errorf("fsq: levels %v: each must be at least 2", f.Levels)
		}
		if size *= l; size > math.MaxInt32 {
			return fmt.Errorf("fsq: levels %v: more than %d codes", f.Levels, math.MaxInt32)
		}
	}
	return nil
}

// Size is the number of codes, ∏L_i.
func (f FSQ) Size() int {
	size := 1
	for _, l := range f.Levels {
		size *= l
	}
	return size
}

// channels returns vals, one a channel, as a constant of dtype broadcast
// to dims (whose last axis is the channels).
func (f FSQ) channels(g *Graph, dtype dtypes.DType, dims []int, vals []float64) *Node {
	if dims[len(dims)-1] != len(f.Levels) {
		panic(fmt.Sprintf("fsq: last axis of %v: want %d channels", dims, len(f.Levels)))
	}
	shape := make([]int, len(dims))
	for i := range shape {
		shape[i] = 1
	}
	shape[len(dims)-1] = len(vals)
	return BroadcastToDims(Reshape(ConstAsDType(g, dtype, vals), shape...), dims...)
}

// perLevel returns fn of each level.
func (f FSQ) perLevel(fn func(l int) float64) []float64 {
	vals := make([]float64, len(f.Levels))
	for i, l := range f.Levels {
		vals[i] = fn(l)
	}
	return vals
}

// fsqHalfWidth is h = ⌊L/2⌋. fsqHalfL, fsqOffset and fsqShift make the
// bound tanh(z + shift)·halfL − offset, 0 at z = 0, which spans
// (−h − δ, h − 1 + δ) for even L and (−h − δ, h + δ) for odd L, δ = εh:
// the offset of one half and the shift that keeps 0 at 0 are the
// reference's trick for even L, whose levels are not symmetric about 0.
func fsqHalfWidth(l int) float64 { return float64(l / 2) }
func fsqHalfL(l int) float64     { return float64(l-1) * (1 + fsqEps) / 2 }
func fsqOffset(l int) float64    { return 0.5 * float64(1-l%2) }
func fsqShift(l int) float64     { return math.Atanh(fsqOffset(l) / fsqHalfL(l)) }

// Bound maps z [..., len(Levels)] into each channel's range of levels,
// before rounding.
func (f FSQ) Bound(z *Node) *Node {
	g, dt, dims := z.Graph(), z.DType(), z.Shape().Dimensions
	t := Tanh(Add(z, f.channels(g, dt, dims, f.perLevel(fsqShift))))
	return Sub(Mul(t, f.channels(g, dt, dims, f.perLevel(fsqHalfL))), f.channels(g, dt, dims, f.perLevel(fsqOffset)))
}

// Quantize returns the codes [..., len(Levels)] of z, in [−1, 1], with
// z's gradient through the bound (the rounding's taken as 1: the
// straight-through estimator), and their indices [...] (int32).
func (f FSQ) Quantize(z *Node) (codes, indices *Node) {
	g, dt, dims := z.Graph(), z.DType(), z.Shape().Dimensions
	b := f.Bound(z)
	r := Round(StopGradient(b))
	hw := f.channels(g, dt, dims, f.perLevel(fsqHalfWidth))
	codes = Div(Add(b, StopGradient(Sub(r, b))), hw)
	return codes, f.digitsToIndex(Add(r, hw))
}

// Indices returns the indices [...] (int32) of codes [..., len(Levels)].
func (f FSQ) Indices(codes *Node) *Node {
	hw := f.channels(codes.Graph(), codes.DType(), codes.Shape().Dimensions, f.perLevel(fsqHalfWidth))
	return f.digitsToIndex(Round(Add(Mul(codes, hw), hw)))
}

// basis returns ∏_{j<i} L_j for each channel i: channel 0 varies fastest
// in an index, as in the reference.
func (f FSQ) basis() []float64 {
	b, p := make([]float64, len(f.Levels)), 1
	for i, l := range f.Levels {
		b[i], p = float64(p), p*l
	}
	return b
}

// digitsToIndex returns Σ d_i·basis_i (int32) of the whole-number digits
// d [..., len(Levels)], d_i in [0, L_i).
func (f FSQ) digitsToIndex(d *Node) *Node {
	dims := d.Shape().Dimensions
	basis := f.channels(d.Graph(), dtypes.Int32, dims, f.basis())
	return ReduceSum(Mul(ConvertDType(StopGradient(d), dtypes.Int32), basis), -1)
}

// Codes returns the codes [..., len(Levels)] (of dtype) of indices [...].
func (f FSQ) Codes(indices *Node, dtype dtypes.DType) *Node {
	g := indices.Graph()
	dims := append(append([]int(nil), indices.Shape().Dimensions...), len(f.Levels))
	idx := BroadcastToDims(ExpandAxes(ConvertDType(indices, dtypes.Int32), -1), dims...)
	levels := f.channels(g, dtypes.Int32, dims, f.perLevel(func(l int) float64 { return float64(l) }))
	digits := Rem(Div(idx, f.channels(g, dtypes.Int32, dims, f.basis())), levels)
	hw := f.channels(g, dtype, dims, f.perLevel(fsqHalfWidth))
	return Div(Sub(ConvertDType(digits, dtype), hw), hw)
}
