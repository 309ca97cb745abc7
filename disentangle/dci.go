package disentangle

import (
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/latent-vae/latent/internal/parallel"
)

// DCIC is the inverse L2 strength of DCI's logistic regressions:
// sklearn's default C = 1.
const DCIC = 1.0

// DCIResult is DCI's three scores and the importance matrix behind them.
type DCIResult struct {
	Disentanglement      float64    // 1 − entropy of each dimension's importances, weighted by its share
	Completeness         float64    // 1 − entropy of each factor's importances, weighted by its share
	InformativenessTrain float64    // mean over factors of the classifier's train accuracy
	InformativenessTest  float64    // mean over factors of the classifier's test accuracy
	Importance           *mat.Dense // [D, F], each dimension's importance for each factor
}

// DCI returns Eastwood & Williams' (2018) disentanglement, completeness and
// informativeness as disentanglement_lib's dci.py defines them from an
// importance matrix R [D, F] (dci.gin: 10000 train and 5000 test images,
// Draw twice): disentanglement = Σ_j ρ_j(1 − H_F(R_j·)), ρ_j = R_j's share
// of R's total and H_F the entropy in base F of the row normalised, with
// 1e-11 added to each entry as the library does; completeness likewise per
// factor column in base D; informativeness the accuracy of the factor's
// classifier, averaged over factors, on train and on test.
//
// The classifier differs: the library fits sklearn's
// GradientBoostingClassifier per factor and takes its impurity-based
// feature importances. Here each factor gets a multinomial logistic
// regression (sklearn LogisticRegression's defaults, C = 1) on the codes
// standardised by train's mean and standard deviation, and R_jf = Σ_k
// |W_kj|, the absolute weights on dimension j summed over the factor's
// classes. Eastwood & Williams used lasso and random forests; a linear
// model on standardised codes keeps the classification target and accuracy
// of the library, is deterministic and cheap (no 100-tree ensemble per
// factor), and its weights compare across dimensions. It cannot use a
// non-monotone code (a factor laid on a circle, or in the middle of a
// range), so informativeness can be lower than with boosted trees.
func DCI(train, test Set) (DCIResult, error) {
	if err := checkPair(train, test); err != nil {
		return DCIResult{}, errors.Wrap(err, "DCI")
	}
	_, d := train.Codes.Dims()
	F := train.Factors.NumFactors()
	if d < 2 || F < 2 {
		return DCIResult{}, errors.Errorf("DCI needs 2 code dimensions and 2 factors or more, not %d and %d", d, F)
	}
	xtr, xte := standardise(train.Codes, test.Codes)
	r := DCIResult{Importance: mat.NewDense(d, F, nil)}
	acc := make([][2]float64, F)
	errs := make([]error, F)
	parallel.Each(F, func(f int) {
		m, err := fitLogistic(xtr, train.Factors.Column(f), DCIC)
		if err != nil {
			errs[f] = errors.Wrapf(err, "DCI: factor %d", f)
			return
		}
		r.Importance.SetCol(f, m.importance())
		acc[f] = [2]float64{m.accuracy(xtr, train.Factors.Column(f)), m.accuracy(xte, test.Factors.Column(f))}
	})
	if err := firstErr(errs); err != nil {
		return DCIResult{}, err
	}
	for f := range F {
		r.InformativenessTrain += acc[f][0] / float64(F)
		r.InformativenessTest += acc[f][1] / float64(F)
	}
	r.Disentanglement = weightedOneMinusEntropy(r.Importance)
	r.Completeness = weightedOneMinusEntropy(r.Importance.T())
	return r, nil
}

// weightedOneMinusEntropy returns Σ_i ρ_i(1 − H(r_i)) over the rows r_i of
// m [R, C], H the entropy in base C of r_i + 1e-11 normalised, and ρ_i the
// row's share of m's total (uniform when m is all zero): the library's
// disentanglement (rows = dimensions) and completeness (rows = factors).
func weightedOneMinusEntropy(m mat.Matrix) float64 {
	rows, cols := m.Dims()
	total := mat.Sum(m)
	var score float64
	for i := range rows {
		p := make([]float64, cols)
		var rowSum, pSum float64
		for j := range cols {
			rowSum += m.At(i, j)
			p[j] = m.At(i, j) + 1e-11
			pSum += p[j]
		}
		for j := range p {
			p[j] /= pSum
		}
		share := 1 / float64(rows)
		if total != 0 {
			share = rowSum / total
		}
		score += share * (1 - stat.Entropy(p)/math.Log(float64(cols)))
	}
	return score
}

// standardise returns train and test with each column shifted by train's
// mean and divided by its standard deviation (by 1 where that is 0).
func standardise(train, test *mat.Dense) (*mat.Dense, *mat.Dense) {
	_, d := train.Dims()
	xtr, xte := mat.DenseCopyOf(train), mat.DenseCopyOf(test)
	for j := range d {
		mean, std := stat.MeanStdDev(mat.Col(nil, j, train), nil)
		if !(std > 0) {
			std = 1
		}
		for _, x := range []*mat.Dense{xtr, xte} {
			n, _ := x.Dims()
			for i := range n {
				x.Set(i, j, (x.At(i, j)-mean)/std)
			}
		}
	}
	return xtr, xte
}
