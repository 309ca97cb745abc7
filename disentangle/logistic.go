package disentangle

import (
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// logistic is a multinomial logistic regression, softmax(W·x + b) over the
// sorted classes present in training; w is K × (D+1), the bias last.
type logistic struct {
	classes []int
	d       int
	w       []float64
}

// fitLogistic fits sklearn's default LogisticRegression (L2 penalty with
// inverse strength c, intercept unpenalised, lbfgs, multinomial for more
// than two classes) to x and y: it minimises Σ −log softmax_{y_i} +
// ‖W‖²/(2c), divided by N for the solver. For two classes sklearn fits one
// sigmoid of weight w with penalty ‖w‖²/(2c); the softmax's optimum is
// that one with W = ±w/2 when its penalty uses c/2, as here. It runs to
// convergence, where sklearn stops after max_iter=100 iterations.
func fitLogistic(x *mat.Dense, y []int, c float64) (logistic, error) {
	classes, _ := classCounts(y)
	if len(classes) < 2 {
		return logistic{}, errors.Errorf("one class (%v) in %d samples", classes, len(y))
	}
	if len(classes) == 2 {
		c /= 2
	}
	n, d := x.Dims()
	m := logistic{classes: classes, d: d}
	index := make(map[int]int, len(classes))
	for k, v := range classes {
		index[v] = k
	}
	label := make([]int, n)
	for i, v := range y {
		label[i] = index[v]
	}
	obj := func(w []float64, g []float64) float64 { return m.loss(x, label, w, g, 1/(c*float64(n))) }
	f := func(w []float64) float64 { return obj(w, nil) }
	grad := func(g, w []float64) { obj(w, g) }
	w, err := minimize(f, grad, make([]float64, len(classes)*(d+1)), 1e-7)
	if err != nil {
		return logistic{}, errors.Wrap(err, "logistic regression")
	}
	m.w = w
	return m, nil
}

// loss returns the mean cross-entropy of w on x and label plus
// lambda/2·‖W‖² (biases excluded), and sets g to its gradient if not nil.
func (m logistic) loss(x *mat.Dense, label []int, w, g []float64, lambda float64) float64 {
	n, _ := x.Dims()
	K, D := len(m.classes), m.d+1
	if g != nil {
		clear(g)
	}
	var total float64
	z := make([]float64, K)
	for i := range n {
		row := x.RawRowView(i)
		m.scores(z, w, row)
		lse := floats.LogSumExp(z)
		total += lse - z[label[i]]
		if g == nil {
			continue
		}
		for k := range K {
			p := math.Exp(z[k] - lse)
			if k == label[i] {
				p--
			}
			floats.AddScaled(g[k*D:k*D+m.d], p/float64(n), row)
			g[k*D+m.d] += p / float64(n)
		}
	}
	var pen float64
	for k := range K {
		wk := w[k*D : k*D+m.d]
		pen += floats.Dot(wk, wk)
		if g != nil {
			floats.AddScaled(g[k*D:k*D+m.d], lambda, wk)
		}
	}
	return total/float64(n) + lambda/2*pen
}

// scores sets z to W·row + b under weights w.
func (m logistic) scores(z, w, row []float64) {
	D := m.d + 1
	for k := range z {
		z[k] = floats.Dot(w[k*D:k*D+m.d], row) + w[k*D+m.d]
	}
}

// accuracy returns the fraction of rows of x whose most probable class
// (the first, on ties) is y's.
func (m logistic) accuracy(x *mat.Dense, y []int) float64 {
	n, _ := x.Dims()
	z := make([]float64, len(m.classes))
	var hits int
	for i := range n {
		m.scores(z, m.w, x.RawRowView(i))
		if m.classes[argmax(z)] == y[i] {
			hits++
		}
	}
	return float64(hits) / float64(n)
}

// importance returns Σ_k |W_kj| for each input j: for standardised inputs,
// how much the model leans on input j.
func (m logistic) importance() []float64 {
	out := make([]float64, m.d)
	for k := range m.classes {
		for j := range m.d {
			out[j] += math.Abs(m.w[k*(m.d+1)+j])
		}
	}
	return out
}
