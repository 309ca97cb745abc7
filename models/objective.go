package models

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The objective: every number latent reports or minimises is built here.
//
// For an image x with posterior q(z|x) = N(mean, diag(exp(logVar))) and
// prior p(z) = N(0, I), the negative ELBO is Recon + KL with
// Recon = −log p(x|z) at a z drawn from q(z|x) by the reparameterisation
// z = mean + exp(logVar/2)·ε, ε ~ N(0, I), and KL = KL(q(z|x) ‖ p(z)) in
// closed form. The importance-weighted bound (Burda et al., 2016) draws K
// such z per image.

// Noise is where the reparameterisation draws ε ~ N(0, I): the context's
// RNG variable (training: the state is saved in checkpoints), or an RNG
// state carried into and out of a graph (evaluation: it never changes the
// run).
type Noise struct {
	ctx   *context.Context
	state *Node
}

// ContextNoise draws from ctx's RNG variable.
func ContextNoise(ctx *context.Context) *Noise { return &Noise{ctx: ctx} }

// StateNoise draws from the RNG state node state (see graph.RNGStateFromSeed);
// State returns the state after the draws.
func StateNoise(state *Node) *Noise { return &Noise{state: state} }

// Normal draws standard normal noise of shape in g.
func (n *Noise) Normal(g *Graph, shape shapes.Shape) *Node {
	if n.ctx != nil {
		return n.ctx.RandomNormal(g, shape)
	}
	var eps *Node
	n.state, eps = RandomNormal(n.state, shape)
	return eps
}

// State is the RNG state after every draw so far (nil for ContextNoise).
func (n *Noise) State() *Node { return n.state }

// Reparameterize returns z = mean + exp(logVar/2)·eps, broadcasting mean and
// logVar over eps's leading axes when eps has more.
func Reparameterize(mean, logVar, eps *Node) *Node {
	for mean.Rank() < eps.Rank() {
		mean, logVar = ExpandAxes(mean, -2), ExpandAxes(logVar, -2)
	}
	return Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
}

// Terms are the objective's per-image terms [B], in nats.
type Terms struct {
	Recon *Node // −log p(x|z) at one sampled z
	KL    *Node // KL(q(z|x) ‖ p(z))
}

// NegELBO is Recon + KL per image [B]: the number users compare.
func (t Terms) NegELBO() *Node { return Add(t.Recon, t.KL) }

// Loss is the training loss: the batch mean of Recon + klWeight·KL, where
// klWeight (a scalar node) is β, or its warm-up value.
func (t Terms) Loss(klWeight *Node) *Node {
	return ReduceAllMean(Add(t.Recon, Mul(klWeight, t.KL)))
}

// ELBO encodes images x [B, H, W, C], draws one z per image from noise,
// decodes it and returns the per-image terms of the negative ELBO.
func ELBO(ctx *context.Context, cfg Config, x *Node, noise *Noise) Terms {
	mean, logVar := Encode(ctx, cfg, x)
	z := Reparameterize(mean, logVar, noise.Normal(x.Graph(), mean.Shape()))
	return Terms{Recon: ReconNLL(ctx, cfg, x, Decode(ctx, cfg, z)), KL: KL(mean, logVar)}
}

// IWLogWeights encodes images x [B, H, W, C], draws k z per image from noise
// and returns the importance log-weights [B, k]:
// log p(x|z_j) + log p(z_j) − log q(z_j|x).
func IWLogWeights(ctx *context.Context, cfg Config, x *Node, k int, noise *Noise) *Node {
	mean, logVar := Encode(ctx, cfg, x) // [B, L]
	b, l := mean.Shape().Dimensions[0], mean.Shape().Dimensions[1]
	eps := noise.Normal(x.Graph(), shapes.Make(mean.DType(), b, k, l))
	z := Reparameterize(mean, logVar, eps) // [B, k, L]
	out := Decode(ctx, cfg, Reshape(z, b*k, l))
	xs := BroadcastToDims(ExpandAxes(x, 1), b, k, cfg.Height, cfg.Width, cfg.Channels)
	xs = Reshape(xs, b*k, cfg.Height, cfg.Width, cfg.Channels)
	logPxz := Neg(Reshape(ReconNLL(ctx, cfg, xs, out), b, k))
	// log N(z; 0, I) and log N(z; mean, σ²), using (z − mean)/σ = ε.
	logPz := MulScalar(ReduceSum(AddScalar(Square(z), log2Pi), -1), -0.5)
	logQz := MulScalar(ReduceSum(AddScalar(Add(Square(eps), ExpandAxes(logVar, 1)), log2Pi), -1), -0.5)
	return Sub(Add(logPxz, logPz), logQz)
}

// IWBound is the importance-weighted lower bound on log p(x) per image [B]
// from log-weights [B, k]: log (1/k) Σ_j exp(w_j). With k = 1 it is the
// ELBO at the same noise.
func IWBound(logWeights *Node) *Node {
	k := logWeights.Shape().Dimensions[1]
	top := StopGradient(ReduceMax(logWeights, 1)) // [B]: keeps exp() from overflowing
	sum := ReduceSum(Exp(Sub(logWeights, ExpandAxes(top, 1))), 1)
	return AddScalar(Add(Log(sum), top), -math.Log(float64(k)))
}

// log2Pi is log(2π), the constant of a Gaussian log-density.
const log2Pi = 1.8378770664093453

// ReconNLL is −log p(x|out) per image [B], in nats, summed over pixels; out
// is the decoder's output for x.
func ReconNLL(ctx *context.Context, cfg Config, x, out *Node) *Node {
	var nll *Node
	if cfg.Likelihood == Gaussian {
		// A rank-1 variable starts at zero: σ = 1.
		logSigma := ctx.In("decoder").VariableWithShape("log_sigma", shapes.Make(x.DType(), cfg.Channels)).ValueGraph(x.Graph())
		logSigma = Reshape(logSigma, 1, 1, 1, cfg.Channels)
		diff := Div(Sub(x, Sigmoid(out)), Exp(logSigma))
		nll = AddScalar(Add(MulScalar(Square(diff), 0.5), logSigma), 0.5*log2Pi)
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

// Losses are the objective's terms as numbers: a batch's or a split's means,
// in nats per image.
type Losses struct {
	NegELBO float64 `json:"neg_elbo"` // Recon + KL (β = 1), the number users compare
	Recon   float64 `json:"recon"`    // −log p(x|z), z drawn from q(z|x)
	KL      float64 `json:"kl"`       // KL(q(z|x) ‖ p(z))
}

// IsFinite reports whether every term is a finite number.
func (l Losses) IsFinite() bool {
	for _, v := range []float64{l.NegELBO, l.Recon, l.KL} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
