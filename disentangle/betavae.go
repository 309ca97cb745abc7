package disentangle

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// BetaVAEOptions sets the BetaVAE score's sample counts.
type BetaVAEOptions struct {
	Batch int // image pairs per point (batch_size)
	Train int // points to train the classifier on (num_train)
	Eval  int // points to evaluate it on (num_eval)
}

// DefaultBetaVAE returns disentanglement_lib's beta_vae_sklearn.gin:
// batches of 64 pairs, 10000 train and 5000 eval points.
func DefaultBetaVAE() BetaVAEOptions { return BetaVAEOptions{Batch: 64, Train: 10000, Eval: 5000} }

// BetaVAEC is the inverse L2 strength of the BetaVAE score's classifier:
// sklearn's default LogisticRegression(), C = 1.
const BetaVAEC = 1.0

// BetaVAEResult is the BetaVAE score.
type BetaVAEResult struct {
	TrainAccuracy float64 // the classifier's accuracy on its train points
	EvalAccuracy  float64 // and on the eval points: the score
}

// BetaVAE returns the BetaVAE score (Higgins et al. 2017) as
// disentanglement_lib's beta_vae.py (compute_beta_vae_sklearn) computes it.
// Each point draws a factor k uniformly and two batches of o.Batch images
// with uniform factors, the second's factor k set to the first's row by
// row; its features are the mean over the batch of |z1 − z2| per code
// dimension and its label is k. A logistic regression with sklearn's
// defaults (L2, C = 1, intercept, multinomial; see fitLogistic) is trained
// on o.Train points and scored on o.Eval more. Points are encoded in
// chunks of up to 4096 images. It differs from the library in the solver
// (run to convergence, not sklearn's 100 lbfgs iterations) and, in the
// library's day, sklearn's default was liblinear one-vs-rest with the
// intercept penalised.
func BetaVAE(rng *rand.Rand, s Sampler, o BetaVAEOptions) (BetaVAEResult, error) {
	if o.Batch < 1 || o.Train < 1 || o.Eval < 1 {
		return BetaVAEResult{}, errors.Errorf("BetaVAE options %+v", o)
	}
	xtr, ytr, err := betaPoints(rng, s, o.Batch, o.Train)
	if err != nil {
		return BetaVAEResult{}, errors.Wrap(err, "BetaVAE: train points")
	}
	m, err := fitLogistic(xtr, ytr, BetaVAEC)
	if err != nil {
		return BetaVAEResult{}, errors.Wrap(err, "BetaVAE")
	}
	xev, yev, err := betaPoints(rng, s, o.Batch, o.Eval)
	if err != nil {
		return BetaVAEResult{}, errors.Wrap(err, "BetaVAE: eval points")
	}
	return BetaVAEResult{TrainAccuracy: m.accuracy(xtr, ytr), EvalAccuracy: m.accuracy(xev, yev)}, nil
}

// betaPoints draws count points of batch pairs each (see BetaVAE) and
// returns their features [count, D] and labels.
func betaPoints(rng *rand.Rand, s Sampler, batch, count int) (*mat.Dense, []int, error) {
	sizes := s.Sizes()
	labels := make([]int, count)
	var x *mat.Dense
	per := max(1, chunkImages/(2*batch))
	for lo := 0; lo < count; lo += per {
		hi := min(lo+per, count)
		fs := Factors{Sizes: sizes}
		for p := lo; p < hi; p++ {
			labels[p] = rng.IntN(len(sizes))
			a, b := SampleFactors(rng, sizes, batch), SampleFactors(rng, sizes, batch)
			for i := range batch {
				b.Values[i*len(sizes)+labels[p]] = a.At(i, labels[p])
			}
			fs.Values = append(append(fs.Values, a.Values...), b.Values...)
		}
		codes, err := s.Encode(rng, fs)
		if err != nil {
			return nil, nil, errors.Wrap(err, "encoding")
		}
		if x == nil {
			_, d := codes.Dims()
			x = mat.NewDense(count, d, nil)
		}
		if err := pairFeatures(x, lo, hi, codes, batch); err != nil {
			return nil, nil, err
		}
	}
	return x, labels, nil
}

// pairFeatures sets rows [lo, hi) of x to the mean over each point's batch
// of |z1 − z2|, codes holding each point's first batch then its second.
func pairFeatures(x *mat.Dense, lo, hi int, codes *mat.Dense, batch int) error {
	_, d := x.Dims()
	if n, dd := codes.Dims(); n != 2*batch*(hi-lo) || dd != d {
		return errors.Errorf("encoder returned %d×%d codes for %d images of %d dimensions", n, dd, 2*batch*(hi-lo), d)
	}
	for p := lo; p < hi; p++ {
		off := (p - lo) * 2 * batch
		for j := range d {
			var sum float64
			for i := range batch {
				sum += math.Abs(codes.At(off+i, j) - codes.At(off+batch+i, j))
			}
			if math.IsNaN(sum) || math.IsInf(sum, 0) {
				return errors.Errorf("point %d, dimension %d: feature %v", p, j, sum)
			}
			x.Set(p, j, sum/float64(batch))
		}
	}
	return nil
}
