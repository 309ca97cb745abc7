package disentangle

import "gonum.org/v1/gonum/mat"

// Classifier is the multinomial logistic regression that DCI and the
// BetaVAE score fit (sklearn's default LogisticRegression, run to
// convergence; see fitLogistic), for callers outside this package: the
// few-label probes of package probe.
type Classifier struct{ m logistic }

// FitClassifier fits a Classifier to the rows of x and their classes y,
// with inverse L2 strength c (sklearn's C; 1 is its default). y must hold
// at least two classes.
func FitClassifier(x *mat.Dense, y []int, c float64) (*Classifier, error) {
	m, err := fitLogistic(x, y, c)
	if err != nil {
		return nil, err
	}
	return &Classifier{m}, nil
}

// Predict returns the most probable class of row (the first of the sorted
// classes on ties), which has the fitted inputs' length.
func (c *Classifier) Predict(row []float64) int {
	z := make([]float64, len(c.m.classes))
	c.m.scores(z, c.m.w, row)
	return c.m.classes[argmax(z)]
}
