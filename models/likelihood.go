package models

// The likelihoods p(x|z): the reconstruction term of the objective and the
// image each predicts, from the decoder's output.

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// ReconNLL is −log p(x|out) per image [B], in nats, summed over pixels; out
// is the decoder's output for x.
func ReconNLL(ctx *context.Context, cfg Config, x, out *Node) *Node {
	var nll *Node
	switch cfg.Likelihood {
	case Gaussian:
		// A rank-1 variable starts at zero: σ = 1.
		logSigma := ctx.In("decoder").VariableWithShape("log_sigma", shapes.Make(x.DType(), cfg.Channels)).ValueGraph(x.Graph())
		logSigma = Reshape(logSigma, 1, 1, 1, cfg.Channels)
		diff := Div(Sub(x, Sigmoid(out)), Exp(logSigma))
		nll = AddScalar(Add(MulScalar(Square(diff), 0.5), logSigma), 0.5*log2Pi)
	case DiscreteLogistic:
		nll = Neg(logisticLogProb(x, out, LogisticLogScale(ctx, cfg, x.Graph(), x.DType())))
	default:
		// softplus(l) − x·l, the Bernoulli negative log-likelihood from logits.
		nll = Sub(Softplus(out), Mul(x, out))
	}
	return ReduceSum(nll, 1, 2, 3)
}

// The discretised logistic's scale is one learned number per channel, as
// in the IAF VAE (Kingma et al., 2016) and as the Gaussian's σ, not one per
// subpixel from the decoder as in PixelCNN++ (an autoregressive model). A
// per-subpixel scale let a VAE's decoder shrink the scale of the flat
// background within a few steps, long before the mean had learned the
// shapes: every error then cost |x − μ|/s, an L1 loss that wants the
// per-pixel median (the background) and is so sharp that Adam at 1e-3
// jittered the mean by about the scale. On 300 flat-coloured RGB shapes the
// test bits per dimension rose over training and the reconstructions were
// noise without the shapes. A scale shared by every pixel of a channel is
// set by all their errors, the shapes' included, so it shrinks only as the
// mean improves.

// logisticMinLogScale bounds the discretised logistic's log-scale below,
// as PixelCNN++ does, so a bin's probability stays representable; the
// bound is soft, so the scale can always grow again.
const logisticMinLogScale = -7

// LogisticScaleRate is how much faster than the other weights the
// logistic's log-scale moves: its variable decoder/log_scale holds the
// log-scale divided by this rate. Adam moves every variable by about the
// learning rate a step, and a log-scale has several nats to travel (from
// 0, the whole pixel range, to about −5, a few levels): at 1e-3 that took
// thousands of steps, during which the likelihood stayed near uniform.
const LogisticScaleRate = 30

// LogisticLogScale is the discretised logistic's log-scale per channel
// [1, 1, 1, C] in [−1, 1] pixel units: the variable decoder/log_scale
// (starting at 0: a scale of half the pixel range) times
// LogisticScaleRate, softly bounded below by logisticMinLogScale.
func LogisticLogScale(ctx *context.Context, cfg Config, g *Graph, dtype dtypes.DType) *Node {
	v := ctx.In("decoder").VariableWithShape("log_scale", shapes.Make(dtype, cfg.Channels)).ValueGraph(g)
	return Reshape(logisticSoftFloor(MulScalar(v, LogisticScaleRate)), 1, 1, 1, cfg.Channels)
}

// logisticSoftFloor bounds a log-scale below by logisticMinLogScale
// softly: −7 + softplus(l + 7), about l above −5 (0 stays 0 to 1e-3),
// never below −7, with a gradient everywhere (a hard bound would freeze a
// scale that reached it).
func logisticSoftFloor(l *Node) *Node {
	return AddScalar(Softplus(AddScalar(l, -logisticMinLogScale)), logisticMinLogScale)
}

// logisticLogProb is the log-probability of each subpixel of x (in [0, 1],
// on the 256-level grid) under a logistic with location out (in [−1, 1]
// pixel units, unbounded) and log-scale logS (broadcast to x), discretised
// into 256 bins over [−1, 1], the edge bins taking the tails (Salimans et
// al., 2017).
func logisticLogProb(x, mu, logS *Node) *Node {
	const half = 1.0 / 255 // half a bin in [−1, 1] units
	xs := AddScalar(MulScalar(x, 2), -1)
	centred := Sub(xs, mu)
	invS := Exp(Neg(logS))
	plusIn := Mul(invS, AddScalar(centred, half))
	minIn := Mul(invS, AddScalar(centred, -half))
	logCDFPlus := Sub(plusIn, Softplus(plusIn)) // log σ(plusIn): the bottom bin
	logSurvivalMin := Neg(Softplus(minIn))      // log(1 − σ(minIn)): the top bin
	// An inner bin's mass, as a difference of the CDF left of the location
	// and of the survival function right of it: both terms are then small
	// where the bin is far out, so float32 keeps their difference (the
	// difference of two CDF values near 1 lost 0.01 nats ten scales out).
	delta := Where(GreaterThan(centred, ScalarZero(x.Graph(), x.DType())),
		Sub(Sigmoid(Neg(minIn)), Sigmoid(Neg(plusIn))), Sub(Sigmoid(plusIn), Sigmoid(minIn)))
	midIn := Mul(invS, centred)
	// Where a bin's mass underflows, its density at the centre times the
	// bin's width (2/255) stands in.
	logPDFMid := Sub(Sub(midIn, logS), MulScalar(Softplus(midIn), 2))
	inner := Where(GreaterThan(delta, Scalar(x.Graph(), x.DType(), 1e-5)),
		Log(MaxScalar(delta, 1e-12)), AddScalar(logPDFMid, -math.Log(127.5)))
	g := x.Graph()
	return Where(LessThan(xs, Scalar(g, x.DType(), -0.999)), logCDFPlus,
		Where(GreaterThan(xs, Scalar(g, x.DType(), 0.999)), logSurvivalMin, inner))
}

// MeanImage maps the decoder's output for cfg to the image it predicts, in
// [0, 1]: the Bernoulli means, the Gaussian means, or the logistic's
// location (its mean, up to the clipping of the edge bins).
func MeanImage(cfg Config, out *Node) *Node {
	if cfg.Likelihood == DiscreteLogistic {
		return ClipScalar(MulScalar(AddScalar(out, 1), 0.5), 0, 1)
	}
	return Sigmoid(out)
}
