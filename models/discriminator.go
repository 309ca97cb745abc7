package models

import (
	"math/rand/v2"
	"strconv"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// FactorVAE's discriminator (Kim & Mnih 2018, "Disentangling by
// factorising"): an MLP that tells codes z ~ q(z) from codes of the
// product of its marginals, drawn by permuting each dimension of a batch
// of codes across the batch. Its logit d(z) = log D(z) − log(1 − D(z))
// estimates the total correlation log q(z) − Σ_d log q(z_d) at z.

// DiscriminatorScope is the scope of the discriminator's variables, which
// FactorVAE's training step updates with an Adam of their own.
const DiscriminatorScope = "discriminator"

// Discriminator returns the logit [B] that codes z [B, D] were drawn from
// q(z) rather than from the product of its marginals: hidden layers of
// layers hidden layers of width units with leaky ReLUs (slope 0.2, as Kim
// & Mnih), then one logit. Its variables are under DiscriminatorScope.
func Discriminator(ctx *context.Context, z *Node, layers, width int) *Node {
	ctx = ctx.In(DiscriminatorScope)
	h := z
	for i := range layers {
		h = activations.LeakyReluWithAlpha(Dense(ctx.In("hidden"+strconv.Itoa(i)), h, width), 0.2)
	}
	return Squeeze(Dense(ctx.In("logit"), h, 1), -1)
}

// PermuteDims returns codes z [B, D] with each dimension d permuted across
// the batch: out[i, d] = z[perm[i, d], d], perm [B, D] int32 holding a
// permutation of 0 … B−1 in each column.
func PermuteDims(z, perm *Node) *Node {
	dims := z.Shape().Dimensions
	b, d := dims[0], dims[1]
	g := z.Graph()
	flat := Add(Mul(perm, Const(g, int32(d))), Iota(g, perm.Shape(), 1)) // perm[i, d]·D + d
	return Reshape(Gather(Reshape(z, b*d, 1), ExpandAxes(flat, -1)), b, d)
}

// Permutations returns a [b, d] int32 array (row-major) whose every
// column is a permutation of 0 … b−1, drawn from seed and step: the same
// arguments always give the same permutations, so a resumed run permutes
// as one that never stopped.
func Permutations(b, d int, seed, step int64) []int32 {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(step)^0x9e3779b97f4a7c15))
	out := make([]int32, b*d)
	for c := range d {
		for i, p := range rng.Perm(b) {
			out[i*d+c] = int32(p)
		}
	}
	return out
}

// DiscriminatorLoss is the discriminator's binary cross-entropy, the mean
// over the batch of codes (labelled 1) and permuted codes (labelled 0),
// from their logits [B] each, and its accuracy (a logit above 0 read as
// "from q(z)").
func DiscriminatorLoss(joint, permuted *Node) (loss, accuracy *Node) {
	loss = MulScalar(Add(ReduceAllMean(Softplus(Neg(joint))), ReduceAllMean(Softplus(permuted))), 0.5)
	right := func(x *Node) *Node { return ReduceAllMean(ConvertDType(x, joint.DType())) }
	accuracy = MulScalar(Add(right(GreaterThan(joint, ZerosLike(joint))), right(LessOrEqual(permuted, ZerosLike(permuted)))), 0.5)
	return loss, accuracy
}
