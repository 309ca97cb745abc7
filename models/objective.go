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
	ctx    *context.Context
	state  *Node
	shared bool  // one draw for the whole batch (see SharedStateNoise)
	scale  *Node // when not nil, ε is multiplied by it (see Scaled)
}

// ContextNoise draws from ctx's RNG variable.
func ContextNoise(ctx *context.Context) *Noise { return &Noise{ctx: ctx} }

// StateNoise draws from the RNG state node state (see graph.RNGStateFromSeed);
// State returns the state after the draws.
func StateNoise(state *Node) *Noise { return &Noise{state: state} }

// SharedStateNoise is StateNoise with one draw shared by every image of a
// batch: each image gets the same ε whatever the batch and its place in
// it, so an image's score depends on the image and the seed only.
func SharedStateNoise(state *Node) *Noise { return &Noise{state: state, shared: true} }

// Scaled makes every draw ε·t, for a scalar node t: posterior draws
// μ + tσε at temperature t (1: the posterior; 0: its means).
func (n *Noise) Scaled(t *Node) *Noise {
	n.scale = t
	return n
}

// Normal draws standard normal noise of shape in g (times the scale set
// by Scaled).
func (n *Noise) Normal(g *Graph, shape shapes.Shape) *Node {
	if n.ctx != nil {
		return n.ctx.RandomNormal(g, shape)
	}
	draw := shape
	if n.shared {
		draw = shape.Clone()
		draw.Dimensions[0] = 1
	}
	var eps *Node
	n.state, eps = RandomNormal(n.state, draw)
	if n.shared {
		eps = BroadcastToDims(eps, shape.Dimensions...)
	}
	if n.scale != nil {
		eps = Mul(eps, ConvertDType(n.scale, eps.DType()))
	}
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

// Group is one stochastic layer of a Pass, in code coordinates: the
// posterior's Mean and LogVar [B, 1 or k, L_g] (one per image, or one per
// draw when the layer's posterior depends on the layers drawn above it),
// the noise Eps and the code Z = Mean + exp(LogVar/2)·Eps [B, k, L_g]. The
// model's latent kind (Pass.Kind) forms its rate term and log-ratio from
// them; for the Gaussian kind the prior of a code is N(0, I) (see
// network.go).
//
// A quantised layer (the vq model's) has no LogVar or Eps: Mean is the
// encoder's grid of vectors [B, 1, cells·D] and Z the codes' indices as
// floats [B, k, cells]; Loss [B] is the quantiser's loss term and
// Commitment [B] its commitment part (nil for FSQ, which has none).
type Group struct {
	Mean, LogVar, Eps, Z *Node
	Loss, Commitment     *Node
}

// Pass is one pass of a model over images x [B, H, W, C]: k codes drawn per
// image from the posterior, and the reconstruction term of each draw.
type Pass struct {
	K      int
	Kind   LatentKind // the model's latent kind, which forms the rate terms
	Groups []Group    // one per stochastic layer, the top first
	Out    *Node      // the likelihood's parameters for every draw [B·k, H, W, OutChannels]
	Recon  *Node      // −log p(x|z) per draw [B, k]
}

// Sample encodes images x [B, H, W, C] (with their class labels [B], int32,
// for a conditional model; nil otherwise), draws k codes per image from
// noise, decodes them and measures each draw's reconstruction: every term
// of the objective comes from a Pass. A conditional model's terms are those
// of log p(x|y).
func Sample(ctx *context.Context, cfg Config, x, labels *Node, k int, noise *Noise) Pass {
	groups, out := networkOf(cfg).draw(ctx, cfg, x, oneHot(cfg, labels, x.DType()), k, noise)
	b := x.Shape().Dimensions[0]
	xs := x
	if k > 1 {
		xs = BroadcastToDims(ExpandAxes(x, 1), b, k, cfg.Height, cfg.Width, cfg.Channels)
		xs = Reshape(xs, b*k, cfg.Height, cfg.Width, cfg.Channels)
	}
	if cfg.Autoregressive() {
		out = pixelHead(ctx, cfg, out, xs, true)
	}
	return Pass{K: k, Kind: cfg.Kind(), Groups: groups, Out: out, Recon: Reshape(ReconNLL(ctx, cfg, xs, out), b, k)}
}

// Terms are the objective's per-image terms [B], in nats, averaged over a
// Pass's draws.
type Terms struct {
	Recon *Node // −log p(x|z) at the sampled z
	KL    *Node // KL(q(z|x) ‖ p(z)), the sum over the stochastic layers
	// KLUnits holds, per stochastic layer (top first), the KL of each of
	// its units [B, L_g], in code coordinates; they sum to KL.
	KLUnits []*Node
	// Quantizer is the quantiser's loss term [B] (Group.Loss summed over
	// the layers), nil for a model without one.
	Quantizer *Node
}

// Terms returns the pass's per-image terms: the reconstruction averaged
// over the draws, and the KL per layer as the latent kind forms it (the
// Gaussian's in closed form; for a layer whose posterior depends on the
// layers above, averaged over the draws).
func (p Pass) Terms() Terms {
	t := Terms{Recon: meanOverDraws(p.Recon)}
	for _, g := range p.Groups {
		if g.Loss != nil {
			t.Quantizer = addOrSet(t.Quantizer, g.Loss)
		}
		units := meanOverDraws(p.Kind.Rate(g))
		t.KLUnits = append(t.KLUnits, units)
		if kl := ReduceSum(units, -1); t.KL == nil {
			t.KL = kl
		} else {
			t.KL = Add(t.KL, kl)
		}
	}
	return t
}

// addOrSet is a + b, or b when a is nil.
func addOrSet(a, b *Node) *Node {
	if a == nil {
		return b
	}
	return Add(a, b)
}

// meanOverDraws averages x [B, k, …] over its draws (axis 1).
func meanOverDraws(x *Node) *Node {
	if x.Shape().Dimensions[1] == 1 {
		return Squeeze(x, 1)
	}
	return ReduceMean(x, 1)
}

// LayerKL is the KL of each stochastic layer per image, [B] each, top first.
func (t Terms) LayerKL() []*Node {
	out := make([]*Node, len(t.KLUnits))
	for i, u := range t.KLUnits {
		out[i] = ReduceSum(u, -1)
	}
	return out
}

// NegELBO is Recon + KL per image [B]: the number users compare.
func (t Terms) NegELBO() *Node { return Add(t.Recon, t.KL) }

// Loss is the training loss: the batch mean of Recon + klWeight·KL, where
// klWeight (a scalar node) is β, or its warm-up value. With freeBits > 0
// each latent unit is a group of free bits (Kingma et al., 2016): its KL,
// averaged over the batch, counts as at least freeBits nats.
func (t Terms) Loss(klWeight *Node, freeBits float64) *Node {
	if freeBits <= 0 {
		return t.WithQuantizer(ReduceAllMean(Add(t.Recon, Mul(klWeight, t.KL))))
	}
	var kl *Node
	for _, u := range t.KLUnits {
		s := ReduceAllSum(MaxScalar(ReduceMean(u, 0), freeBits))
		if kl == nil {
			kl = s
		} else {
			kl = Add(kl, s)
		}
	}
	return t.WithQuantizer(Add(ReduceAllMean(t.Recon), Mul(klWeight, kl)))
}

// WithQuantizer adds the batch mean of the quantiser's loss term to loss
// (a scalar), when the model has one: the loss a training step minimises.
func (t Terms) WithQuantizer(loss *Node) *Node {
	if t.Quantizer == nil {
		return loss
	}
	return Add(loss, ReduceAllMean(t.Quantizer))
}

// ELBO encodes images x [B, H, W, C] (with labels, as Sample), draws one z
// per image from noise, decodes it and returns the per-image terms of the
// negative ELBO.
func ELBO(ctx *context.Context, cfg Config, x, labels *Node, noise *Noise) Terms {
	return Sample(ctx, cfg, x, labels, 1, noise).Terms()
}

// IWLogWeights encodes images x [B, H, W, C] (with labels, as Sample),
// draws k z per image from noise and returns the importance log-weights
// [B, k]: log p(x|z_j) + log p(z_j) − log q(z_j|x).
func IWLogWeights(ctx *context.Context, cfg Config, x, labels *Node, k int, noise *Noise) *Node {
	return Sample(ctx, cfg, x, labels, k, noise).LogWeights(nil)
}

// LogWeights are the pass's importance log-weights [B, k]:
// log p(x|z_j) + w·(log p(z_j) − log q(z_j|x)), with log p and log q summed
// over the stochastic layers as the latent kind forms them (LogRatio),
// where w is klWeight (a scalar node; nil for 1, the log-weights of the
// bound). For the Gaussian kind every layer's prior is N(0, I) in code
// coordinates; the whitening's Jacobian cancels between p and q.
func (p Pass) LogWeights(klWeight *Node) *Node {
	var logPQ *Node
	for _, g := range p.Groups {
		d := p.Kind.LogRatio(g)
		if logPQ == nil {
			logPQ = d
		} else {
			logPQ = Add(logPQ, d)
		}
	}
	if klWeight != nil {
		logPQ = Mul(klWeight, logPQ)
	}
	return Sub(logPQ, p.Recon)
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

// KL is KL(q(z|x) ‖ N(0, I)) per image [B], in nats.
func KL(mean, logVar *Node) *Node { return ReduceSum(KLUnits(mean, logVar), -1) }

// KLUnits is KL(q(z|x) ‖ N(0, I)) per latent unit, the shape of mean.
func KLUnits(mean, logVar *Node) *Node {
	t := Sub(Add(Square(mean), Exp(logVar)), AddScalar(logVar, 1))
	return MulScalar(t, 0.5)
}

// Losses are the objective's terms as numbers: a batch's or a split's means,
// in nats per image.
type Losses struct {
	NegELBO float64 `json:"neg_elbo"` // Recon + KL (β = 1), the number users compare
	Recon   float64 `json:"recon"`    // −log p(x|z), z drawn from q(z|x)
	KL      float64 `json:"kl"`       // KL(q(z|x) ‖ p(z))
	// KLLayers is the KL of each stochastic layer, top first, for models
	// with more than one; nil otherwise.
	KLLayers []float64 `json:"kl_layers,omitempty"`
	// Commitment, Perplexity and CodesUsed are a quantised model's (vq):
	// the commitment term, the codebook perplexity exp(H) of the codes'
	// frequencies and the fraction of the codes used at least once;
	// zero for the others.
	Commitment float64 `json:"commitment,omitempty"`
	Perplexity float64 `json:"perplexity,omitempty"`
	CodesUsed  float64 `json:"codes_used,omitempty"`
	// MI, TC and DWKL are β-TCVAE's terms of the KL (TCTerms): the
	// index-code mutual information, the total correlation and the
	// dimension-wise KL. A FactorVAE run's TC is its discriminator's
	// estimate, DiscLoss and DiscAccuracy the discriminator's loss and
	// accuracy. Zero for the other objectives.
	MI           float64 `json:"mi,omitempty"`
	TC           float64 `json:"tc,omitempty"`
	DWKL         float64 `json:"dwkl,omitempty"`
	DiscLoss     float64 `json:"disc_loss,omitempty"`
	DiscAccuracy float64 `json:"disc_accuracy,omitempty"`
}

// IsFinite reports whether every term is a finite number.
func (l Losses) IsFinite() bool {
	for _, v := range append([]float64{l.NegELBO, l.Recon, l.KL, l.MI, l.TC, l.DWKL, l.DiscLoss}, l.KLLayers...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
