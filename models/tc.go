package models

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
)

// β-TCVAE's decomposition of the KL term (Chen et al. 2018, "Isolating
// sources of disentanglement in VAEs"). For a batch of B codes z_i, each
// drawn from its image's posterior q(z|x_i) = N(μ_i, diag σ_i²), the
// aggregate posterior q(z) = (1/N) Σ_n q(z|x_n) over the N training images
// is estimated from the batch alone:
//
//	log q(z_i)      ≈ log Σ_j w_ij q(z_i|x_j)
//	Σ_d log q(z_id) ≈ Σ_d log Σ_j w_ij q(z_id|x_j)
//
// with the weights w of minibatch weighted sampling (MWS: every w_ij is
// 1/(N·B)) or of minibatch stratified sampling (MSS: LogImportanceWeights).
// Then, per image, at its sampled z,
//
//	MI   = log q(z|x) − log q(z)          the index-code mutual information
//	TC   = log q(z) − Σ_d log q(z_d)      the total correlation
//	DWKL = Σ_d log q(z_d) − log p(z)      the dimension-wise KL
//
// and MI + TC + DWKL = log q(z|x) − log p(z), the Monte-Carlo estimate of
// the KL at z, whatever the estimator: the estimates of log q(z) and of
// the marginals cancel.
//
// Bugs of copied implementations that this one does not have:
//   - rtqichen/beta-tcvae PR#1 and YannDubs/disentangling-vae#58: the MSS
//     matrix is written through strided views of W.view(-1) whose stride
//     is the batch size, not the batch size + 1, so the 1/N weights land on
//     the first column instead of the diagonal (Pythae copies it). Here
//     each weight is set by its (row, column) and the test checks that
//     every row sums to 1 with 1/N on the diagonal.
//   - YannDubs/disentangling-vae#60 (and #54, a negative TC): MWS without
//     its −log(N·B), which biases TC by −(D−1)·log(N·B), and MSS weights
//     added to every dimension's density before summing them, which counts
//     the joint's weight D times. Here the joint's weight is added once to
//     the sum over dimensions, and each marginal's to that dimension alone.
//     TC is an estimate: it may still come out slightly negative on a
//     batch, and is reported as it is.

// TC estimators of log q(z): minibatch stratified sampling and minibatch
// weighted sampling.
const (
	EstimatorMSS = "mss"
	EstimatorMWS = "mws"
)

// TCTerms are β-TCVAE's per-image terms [B], in nats, at each image's
// sampled code.
type TCTerms struct {
	MI, TC, DWKL *Node
	// KL is log q(z|x) − log p(z), the Monte-Carlo KL that the three sum
	// to.
	KL *Node
}

// LogImportanceWeights returns the log-weights log w_ij [B·B] (row i the
// code, column j the posterior) with which estimator (EstimatorMSS or
// EstimatorMWS) estimates the aggregate posterior of a batch of b codes
// from a training set of n images. MWS: log 1/(n·b) everywhere. MSS, with
// M = b − 1 the other images of the batch: 1/n on the diagonal (the code's
// own image), (n − M)/(n·M) on one other column of each row (the stratum
// that stands for the images outside the batch, column i+1 mod b), 1/M on
// the rest; each row sums to 1, as the weights of q(z) = (1/n) Σ q(z|x_n).
func LogImportanceWeights(b, n int, estimator string) ([]float64, error) {
	if b < 2 || n < b {
		return nil, fmt.Errorf("TC estimator: a batch of %d codes from %d images: want at least 2, and no more than the images", b, n)
	}
	w := make([]float64, b*b)
	switch estimator {
	case EstimatorMWS:
		for i := range w {
			w[i] = -math.Log(float64(n) * float64(b))
		}
	case EstimatorMSS:
		m := float64(b - 1)
		nf := float64(n)
		for i := range b {
			for j := range b {
				switch {
				case j == i:
					w[i*b+j] = -math.Log(nf)
				case j == (i+1)%b:
					w[i*b+j] = math.Log((nf - m) / (nf * m))
				default:
					w[i*b+j] = -math.Log(m)
				}
			}
		}
	default:
		return nil, fmt.Errorf("TC estimator %q: want %s or %s", estimator, EstimatorMSS, EstimatorMWS)
	}
	return w, nil
}

// DecomposeKL returns β-TCVAE's terms of a batch of codes z [B, D] drawn
// from posteriors N(mean, diag exp(logVar)) [B, D], the prior N(0, I), the
// aggregate posterior over n training images estimated by estimator.
func DecomposeKL(mean, logVar, z *Node, n int, estimator string) (TCTerms, error) {
	dims := z.Shape().Dimensions
	b, d := dims[0], dims[1]
	lw, err := LogImportanceWeights(b, n, estimator)
	if err != nil {
		return TCTerms{}, err
	}
	g := z.Graph()
	logW := Reshape(ConstAsDType(g, z.DType(), lw), b, b) // [B(i), B(j)]
	logQZX := ReduceSum(gaussianLogDensity(z, mean, logVar), -1)
	logPZ := ReduceSum(gaussianLogDensity(z, ZerosLike(z), ZerosLike(z)), -1)
	// pairs[i, j, d] = log q(z_id | x_j).
	pairs := gaussianLogDensity(BroadcastToDims(ExpandAxes(z, 1), b, b, d),
		BroadcastToDims(ExpandAxes(mean, 0), b, b, d), BroadcastToDims(ExpandAxes(logVar, 0), b, b, d))
	logQZ := logSumExp(Add(logW, ReduceSum(pairs, -1)), 1)                   // the joint's weight once
	logProd := ReduceSum(logSumExp(Add(ExpandAxes(logW, -1), pairs), 1), -1) // each marginal's weight once
	return TCTerms{MI: Sub(logQZX, logQZ), TC: Sub(logQZ, logProd), DWKL: Sub(logProd, logPZ), KL: Sub(logQZX, logPZ)}, nil
}

// gaussianLogDensity is log N(z; mean, exp(logVar)) elementwise.
func gaussianLogDensity(z, mean, logVar *Node) *Node {
	d := Sub(z, mean)
	t := Add(AddScalar(logVar, log2Pi), Mul(Square(d), Exp(Neg(logVar))))
	return MulScalar(t, -0.5)
}

// logSumExp is log Σ exp(x) over axis, computed around the maximum.
func logSumExp(x *Node, axis int) *Node {
	top := StopGradient(ReduceMax(x, axis))
	sum := ReduceSum(Exp(Sub(x, ExpandAxes(top, axis))), axis)
	return Add(Log(sum), top)
}

// Loss is β-TCVAE's training loss: the batch mean of
// recon + alpha·MI + beta·TC + gamma·DWKL, beta a scalar node (β, or its
// warm-up value).
func (t TCTerms) Loss(recon, beta *Node, alpha, gamma float64) *Node {
	l := Add(recon, Add(MulScalar(t.MI, alpha), Add(Mul(beta, t.TC), MulScalar(t.DWKL, gamma))))
	return ReduceAllMean(l)
}
