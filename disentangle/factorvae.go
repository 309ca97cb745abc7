package disentangle

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// FactorVAEOptions sets the FactorVAE score's sample counts.
type FactorVAEOptions struct {
	Batch           int     // images per vote (batch_size)
	Train           int     // votes to train the majority-vote classifier on (num_train)
	Eval            int     // votes to evaluate it on (num_eval)
	VarianceSamples int     // images drawn to estimate each dimension's variance (num_variance_estimate)
	Threshold       float64 // dimensions whose standard deviation is below it are pruned (prune_dims.threshold)
}

// DefaultFactorVAE returns disentanglement_lib's factor_vae_metric.gin:
// batches of 64, 10000 train and 5000 eval votes, 10000 images for the
// variances, and threshold 0.05.
func DefaultFactorVAE() FactorVAEOptions {
	return FactorVAEOptions{Batch: 64, Train: 10000, Eval: 5000, VarianceSamples: 10000, Threshold: 0.05}
}

// Batch is the codes [n, D] of n images that share one value of Factor.
type Batch struct {
	Factor int
	Codes  *mat.Dense
}

// FactorVAEResult is the FactorVAE score.
type FactorVAEResult struct {
	TrainAccuracy float64    // the majority-vote classifier's accuracy on its train votes
	EvalAccuracy  float64    // and on the eval votes: the score
	Active        []int      // the dimensions kept after pruning
	Votes         *mat.Dense // [F, D] train votes: factor fixed × dimension of least variance
}

// FactorVAE returns the FactorVAE score (Kim & Mnih 2018) as
// disentanglement_lib's factor_vae.py computes it. It draws
// o.VarianceSamples images (Draw) for each code dimension's variance
// (ddof 1) and keeps the dimensions whose standard deviation is at least
// o.Threshold. Each vote then fixes a factor k drawn uniformly, draws
// o.Batch images with the other factors uniform and k at the first
// image's value, and votes for the active dimension whose variance in the
// batch divided by its global variance is least (the codes normalised by
// their global standard deviation). The classifier maps each dimension to
// the factor it got most train votes from; the score is the fraction of
// eval votes it classifies right. With no active dimension both
// accuracies are 0, as in the library. Votes are encoded in chunks of up
// to 4096 images. Unlike the library, Active lists the kept dimensions (its
// num_active_dims is the mask's length, D).
func FactorVAE(rng *rand.Rand, s Sampler, o FactorVAEOptions) (FactorVAEResult, error) {
	if o.Batch < 2 || o.Train < 1 || o.Eval < 1 || o.VarianceSamples < 2 {
		return FactorVAEResult{}, errors.Errorf("FactorVAE options %+v", o)
	}
	global, err := Draw(rng, s, o.VarianceSamples)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE: variance images")
	}
	v, err := newVoter(global.Codes, o.Threshold)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE")
	}
	if len(v.active) == 0 {
		return FactorVAEResult{}, nil
	}
	F := len(s.Sizes())
	train, err := v.sampleVotes(rng, s, o.Batch, o.Train)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE: train votes")
	}
	eval, err := v.sampleVotes(rng, s, o.Batch, o.Eval)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE: eval votes")
	}
	return scoreVotes(train, eval, v.active, F), nil
}

// FactorVAEScore returns the FactorVAE score of fixed codes: global's
// codes for the variances, and the train and eval batches, each sharing
// its Factor's value. It computes as FactorVAE does after drawing, with F
// factors and the given threshold.
func FactorVAEScore(global *mat.Dense, train, eval []Batch, F int, threshold float64) (FactorVAEResult, error) {
	v, err := newVoter(global, threshold)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE")
	}
	if len(v.active) == 0 {
		return FactorVAEResult{}, nil
	}
	votes := func(bs []Batch) (*mat.Dense, error) {
		out := mat.NewDense(F, len(v.variance), nil)
		for i, b := range bs {
			if b.Factor < 0 || b.Factor >= F {
				return nil, errors.Errorf("batch %d fixes factor %d of %d", i, b.Factor, F)
			}
			j, err := v.vote(b.Codes)
			if err != nil {
				return nil, errors.Wrapf(err, "batch %d", i)
			}
			out.Set(b.Factor, j, out.At(b.Factor, j)+1)
		}
		return out, nil
	}
	tv, err := votes(train)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE: train votes")
	}
	ev, err := votes(eval)
	if err != nil {
		return FactorVAEResult{}, errors.Wrap(err, "FactorVAE: eval votes")
	}
	return scoreVotes(tv, ev, v.active, F), nil
}

// voter holds the global variances and the active dimensions.
type voter struct {
	variance []float64
	active   []int
}

// newVoter estimates each column's variance (ddof 1) and keeps those with
// standard deviation ≥ threshold: the library's _compute_variances and
// _prune_dims. No active dimension is not an error: the score is 0.
func newVoter(global *mat.Dense, threshold float64) (voter, error) {
	n, d := global.Dims()
	if n < 2 {
		return voter{}, errors.Errorf("variance from %d images", n)
	}
	v := voter{variance: make([]float64, d)}
	for j := range d {
		v.variance[j] = stat.Variance(mat.Col(nil, j, global), nil)
		if math.IsNaN(v.variance[j]) {
			return voter{}, errors.Errorf("dimension %d's variance is NaN", j)
		}
		if math.Sqrt(v.variance[j]) >= threshold {
			v.active = append(v.active, j)
		}
	}
	return v, nil
}

// vote returns the active dimension whose variance in codes (ddof 1)
// divided by its global variance is least (the first, on ties).
func (v voter) vote(codes *mat.Dense) (int, error) {
	n, d := codes.Dims()
	if n < 2 || d != len(v.variance) {
		return 0, errors.Errorf("vote on %d×%d codes, want ≥ 2 × %d", n, d, len(v.variance))
	}
	best, bestRatio := -1, math.Inf(1)
	for _, j := range v.active {
		r := stat.Variance(mat.Col(nil, j, codes), nil) / v.variance[j]
		if math.IsNaN(r) {
			return 0, errors.Errorf("dimension %d's batch variance is NaN", j)
		}
		if best < 0 || r < bestRatio {
			best, bestRatio = j, r
		}
	}
	return best, nil
}

// scoreVotes trains the majority-vote classifier on train votes [F, D]
// (each active dimension to the factor with most votes, the first on
// ties) and returns its accuracy on train and eval.
func scoreVotes(train, eval *mat.Dense, active []int, F int) FactorVAEResult {
	accuracy := func(votes *mat.Dense) float64 {
		var hits, total float64
		for _, j := range active {
			hits += votes.At(argmax(mat.Col(nil, j, train)), j)
			total += mat.Sum(votes.ColView(j))
		}
		return hits / total
	}
	return FactorVAEResult{TrainAccuracy: accuracy(train), EvalAccuracy: accuracy(eval),
		Active: slices.Clone(active), Votes: train}
}

// sampleVotes draws count votes of batch images each (see FactorVAE) and
// returns them as a [F, D] count matrix, encoding up to chunkImages images
// per Encode call.
func (v voter) sampleVotes(rng *rand.Rand, s Sampler, batch, count int) (*mat.Dense, error) {
	sizes := s.Sizes()
	votes := mat.NewDense(len(sizes), len(v.variance), nil)
	per := max(1, chunkImages/batch)
	for lo := 0; lo < count; lo += per {
		k := min(per, count-lo)
		fixed := make([]int, k)
		fs := Factors{Sizes: sizes}
		for b := range fixed {
			fixed[b] = rng.IntN(len(sizes))
			one := SampleFactors(rng, sizes, batch)
			for i := range batch {
				one.Values[i*len(sizes)+fixed[b]] = one.At(0, fixed[b])
			}
			fs.Values = append(fs.Values, one.Values...)
		}
		codes, err := encodeChecked(rng, s, fs, len(v.variance))
		if err != nil {
			return nil, err
		}
		for b, f := range fixed {
			j, err := v.vote(codes.Slice(b*batch, (b+1)*batch, 0, len(v.variance)).(*mat.Dense))
			if err != nil {
				return nil, err
			}
			votes.Set(f, j, votes.At(f, j)+1)
		}
	}
	return votes, nil
}

// chunkImages is the most images FactorVAE and BetaVAE pass to one Encode.
const chunkImages = 4096

// encodeChecked encodes fs with s and checks the codes are [fs.Len(), d].
func encodeChecked(rng *rand.Rand, s Sampler, fs Factors, d int) (*mat.Dense, error) {
	codes, err := s.Encode(rng, fs)
	if err != nil {
		return nil, errors.Wrap(err, "encoding")
	}
	if n, dd := codes.Dims(); n != fs.Len() || dd != d {
		return nil, errors.Errorf("encoder returned %d×%d codes for %d images of %d dimensions", n, dd, fs.Len(), d)
	}
	return codes, nil
}
