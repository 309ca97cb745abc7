package disentangle

import (
	"slices"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/internal/parallel"
)

// SAPC is the inverse regularisation of SAP's classifiers: the library's
// svm.LinearSVC(C=0.01, class_weight="balanced").
const SAPC = 0.01

// SAPResult is the SAP score and its matrix.
type SAPResult struct {
	Score  float64    // mean over factors of the gap between the top two of Matrix's column
	Matrix *mat.Dense // [D, F] test accuracy of a classifier of the factor from the dimension alone
}

// SAP returns the separated attribute predictability score (Kumar et al.
// 2018) for discrete factors as disentanglement_lib's sap_score.py computes
// it with continuous_factors=False (its sap_score.gin): for each code
// dimension and factor, a linear SVM trained on train's values of that one
// dimension predicts the factor, and its accuracy on test fills the [D, F]
// matrix; the score is the mean over factors of the difference between the
// two largest accuracies in the factor's column. The library draws 10000
// train and 5000 test images (Draw twice). The SVM is LinearSVC's: squared
// hinge loss, C = 0.01, class weights n/(K·n_k) over the K classes present
// in train, an intercept regularised like a weight (liblinear's bias
// feature of 1), one-vs-rest for K > 2 with the rest weighted 1 (liblinear's
// Cn = C), prediction by the largest decision value. It differs from
// sklearn's in the solver: the primal is minimised to convergence by
// L-BFGS, where liblinear stops at its tolerance 1e-4 or 1000 iterations
// (and, with dual=True, the default before sklearn 1.5 and in the
// library's day, often stopped unconverged on unscaled codes).
func SAP(train, test Set) (SAPResult, error) {
	if err := checkPair(train, test); err != nil {
		return SAPResult{}, errors.Wrap(err, "SAP")
	}
	_, d := train.Codes.Dims()
	F := train.Factors.NumFactors()
	if d < 2 {
		return SAPResult{}, errors.Errorf("SAP needs 2 code dimensions or more, not %d", d)
	}
	m := mat.NewDense(d, F, nil)
	errs := make([]error, d*F)
	parallel.Each(d*F, func(i int) {
		j, f := i/F, i%F
		x := mat.Col(nil, j, train.Codes)
		svc, err := fitSVC(x, train.Factors.Column(f), SAPC)
		if err != nil {
			errs[i] = errors.Wrapf(err, "SAP: dimension %d, factor %d", j, f)
			return
		}
		m.Set(j, f, svc.accuracy(mat.Col(nil, j, test.Codes), test.Factors.Column(f)))
	})
	if err := firstErr(errs); err != nil {
		return SAPResult{}, err
	}
	r := SAPResult{Matrix: m}
	for f := range F {
		top1, top2 := topTwo(mat.Col(nil, f, m))
		r.Score += (top1 - top2) / float64(F)
	}
	return r, nil
}

// checkPair validates a train and a test set with the same factors and
// code width.
func checkPair(train, test Set) error {
	if err := train.Validate(); err != nil {
		return errors.Wrap(err, "train set")
	}
	if err := test.Validate(); err != nil {
		return errors.Wrap(err, "test set")
	}
	_, a := train.Codes.Dims()
	if _, b := test.Codes.Dims(); a != b {
		return errors.Errorf("train codes have %d dimensions, test codes %d", a, b)
	}
	if !slices.Equal(train.Factors.Sizes, test.Factors.Sizes) {
		return errors.Errorf("train factor sizes %v, test %v", train.Factors.Sizes, test.Factors.Sizes)
	}
	return nil
}

// firstErr returns the first non-nil error of errs.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
