package models

// The likelihoods p(x|z): the reconstruction term of the objective and the
// image each predicts, from the decoder's output.

import (
	"math"

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
		nll = Neg(logisticLogProb(x, out))
	default:
		// softplus(l) − x·l, the Bernoulli negative log-likelihood from logits.
		nll = Sub(Softplus(out), Mul(x, out))
	}
	return ReduceSum(nll, 1, 2, 3)
}

// logisticMinLogScale bounds the discretised logistic's log-scale below,
// as PixelCNN++ does, so a bin's probability stays representable.
const logisticMinLogScale = -7

// logisticParams splits a logistic decoder's output [B, H, W, 2C] into the
// mean (in [−1, 1] pixel units, unbounded) and the bounded log-scale.
func logisticParams(out *Node) (mu, logS *Node) {
	c := out.Shape().Dimensions[3] / 2
	mu = SliceAxis(out, 3, AxisRange(0, c))
	logS = MaxScalar(SliceAxis(out, 3, AxisRange(c)), logisticMinLogScale)
	return mu, logS
}

// logisticLogProb is the log-probability of each subpixel of x (in [0, 1],
// on the 256-level grid) under a logistic discretised into 256 bins over
// [−1, 1], the edge bins taking the tails (Salimans et al., 2017).
func logisticLogProb(x, out *Node) *Node {
	mu, logS := logisticParams(out)
	const half = 1.0 / 255 // half a bin in [−1, 1] units
	xs := AddScalar(MulScalar(x, 2), -1)
	centred := Sub(xs, mu)
	invS := Exp(Neg(logS))
	plusIn := Mul(invS, AddScalar(centred, half))
	minIn := Mul(invS, AddScalar(centred, -half))
	logCDFPlus := Sub(plusIn, Softplus(plusIn))   // log σ(plusIn): the bottom bin
	logSurvivalMin := Neg(Softplus(minIn))        // log(1 − σ(minIn)): the top bin
	delta := Sub(Sigmoid(plusIn), Sigmoid(minIn)) // an inner bin's mass
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
		mu, _ := logisticParams(out)
		return ClipScalar(MulScalar(AddScalar(mu, 1), 0.5), 0, 1)
	}
	return Sigmoid(out)
}
