package disentangle

import (
	"slices"

	"github.com/pkg/errors"
)

// svc is a linear SVM on one feature, as sklearn's LinearSVC fits it:
// classes sorted, and for two classes one decision function w·x + b
// (positive: classes[1]); for more, one per class, one-vs-rest.
type svc struct {
	classes []int
	w, b    []float64
}

// classCounts returns the sorted classes present in y and their counts.
func classCounts(y []int) (classes []int, counts map[int]int) {
	counts = map[int]int{}
	for _, v := range y {
		counts[v]++
	}
	for c := range counts {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	return classes, counts
}

// fitSVC fits LinearSVC(C=c, class_weight="balanced") to x and y: for each
// binary problem it minimises ½(w² + b²) + Σ c_i·max(0, 1 − s_i(w·x_i + b))²
// with s_i = ±1 and c_i = c times the class weight n/(K·n_k) of positives
// (and, for two classes, of negatives; one-vs-rest negatives get c).
func fitSVC(x []float64, y []int, c float64) (svc, error) {
	classes, counts := classCounts(y)
	K := len(classes)
	if K < 2 {
		return svc{}, errors.Errorf("one class (%v) in %d samples", classes, len(y))
	}
	weight := func(k int) float64 { return float64(len(y)) / float64(K*counts[k]) }
	m := svc{classes: classes}
	problems := classes[1:]
	if K > 2 {
		problems = classes
	}
	sign, cost := make([]float64, len(y)), make([]float64, len(y))
	for _, pos := range problems {
		for i, v := range y {
			sign[i], cost[i] = -1, c
			if v == pos {
				sign[i], cost[i] = 1, c*weight(v)
			} else if K == 2 {
				cost[i] = c * weight(v)
			}
		}
		wb, err := fitHinge2(x, sign, cost)
		if err != nil {
			return svc{}, errors.Wrapf(err, "class %d against the rest", pos)
		}
		m.w, m.b = append(m.w, wb[0]), append(m.b, wb[1])
	}
	return m, nil
}

// fitHinge2 minimises ½(w² + b²) + Σ cost_i·max(0, 1 − sign_i(w·x_i + b))²,
// divided by len(x) for the solver's scale, and returns (w, b).
func fitHinge2(x, sign, cost []float64) ([]float64, error) {
	n := float64(len(x))
	f := func(p []float64) float64 {
		v := 0.5 * (p[0]*p[0] + p[1]*p[1])
		for i, xi := range x {
			if m := 1 - sign[i]*(p[0]*xi+p[1]); m > 0 {
				v += cost[i] * m * m
			}
		}
		return v / n
	}
	grad := func(g, p []float64) {
		g[0], g[1] = p[0], p[1]
		for i, xi := range x {
			if m := 1 - sign[i]*(p[0]*xi+p[1]); m > 0 {
				t := -2 * cost[i] * m * sign[i]
				g[0] += t * xi
				g[1] += t
			}
		}
		g[0], g[1] = g[0]/n, g[1]/n
	}
	return minimize(f, grad, []float64{0, 0}, 1e-9)
}

// predict returns the class of x: the sign of the decision function for
// two classes, the first largest decision value for more.
func (m svc) predict(x float64) int {
	if len(m.classes) == 2 {
		if m.w[0]*x+m.b[0] > 0 {
			return m.classes[1]
		}
		return m.classes[0]
	}
	best := 0
	for k := range m.classes {
		if m.w[k]*x+m.b[k] > m.w[best]*x+m.b[best] {
			best = k
		}
	}
	return m.classes[best]
}

// accuracy returns the fraction of x whose predicted class is y's.
func (m svc) accuracy(x []float64, y []int) float64 {
	var hits int
	for i, v := range x {
		if m.predict(v) == y[i] {
			hits++
		}
	}
	return float64(hits) / float64(len(x))
}
