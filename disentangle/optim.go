package disentangle

import (
	"math"
	"slices"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/floats"
)

// minimize minimises the smooth convex f (gradient grad) from x0 by
// L-BFGS (memory 10, backtracking Armijo line search) until the gradient's
// largest component is at most gradTol. When the line search can no longer
// decrease f (the optimum, to floating point), a gradient at most
// 1000·gradTol is accepted. gonum's optimize.LBFGS does the same, but its
// package imports stat/distmv and with it golang.org/x/tools, which
// latent's go.mod does not require.
func minimize(f func(x []float64) float64, grad func(g, x []float64), x0 []float64, gradTol float64) ([]float64, error) {
	const memory, iterations = 10, 10000
	n := len(x0)
	x, g := slices.Clone(x0), make([]float64, n)
	xn, gn, d := make([]float64, n), make([]float64, n), make([]float64, n)
	grad(g, x)
	fx := f(x)
	var hist lbfgsHistory
	for range iterations {
		if floats.Norm(g, math.Inf(1)) <= gradTol {
			return x, nil
		}
		hist.direction(d, g)
		slope := -floats.Dot(g, d)
		if !(slope < 0) {
			hist = lbfgsHistory{}
			copy(d, g)
			slope = -floats.Dot(g, g)
		}
		step := 1.0
		if len(hist.s) == 0 {
			step = min(1, 1/floats.Norm(g, math.Inf(1)))
		}
		fn, ok := math.NaN(), false
		for range 60 {
			floats.AddScaledTo(xn, x, -step, d)
			if fn = f(xn); fn <= fx+1e-4*step*slope {
				ok = true
				break
			}
			step /= 2
		}
		if !ok {
			if gi := floats.Norm(g, math.Inf(1)); !(gi <= 1000*gradTol) {
				return nil, errors.Errorf("line search stalled with gradient %g", gi)
			}
			return x, nil
		}
		grad(gn, xn)
		hist.push(floats.SubTo(make([]float64, n), xn, x), floats.SubTo(make([]float64, n), gn, g), memory)
		x, xn, g, gn, fx = xn, x, gn, g, fn
	}
	return nil, errors.Errorf("no convergence in %d iterations", iterations)
}

// lbfgsHistory holds L-BFGS's last steps s, gradient changes y and 1/(s·y).
type lbfgsHistory struct {
	s, y [][]float64
	rho  []float64
}

// push adds a step, dropping the oldest beyond memory, unless s·y is not
// positive (no curvature information).
func (h *lbfgsHistory) push(s, y []float64, memory int) {
	sy := floats.Dot(s, y)
	if !(sy > 0) {
		return
	}
	h.s, h.y, h.rho = append(h.s, s), append(h.y, y), append(h.rho, 1/sy)
	if len(h.s) > memory {
		h.s, h.y, h.rho = h.s[1:], h.y[1:], h.rho[1:]
	}
}

// direction sets d to the inverse-Hessian estimate times g (the two-loop
// recursion); the step is −d.
func (h *lbfgsHistory) direction(d, g []float64) {
	copy(d, g)
	alpha := make([]float64, len(h.s))
	for i := len(h.s) - 1; i >= 0; i-- {
		alpha[i] = h.rho[i] * floats.Dot(h.s[i], d)
		floats.AddScaled(d, -alpha[i], h.y[i])
	}
	if k := len(h.s) - 1; k >= 0 {
		floats.Scale(floats.Dot(h.s[k], h.y[k])/floats.Dot(h.y[k], h.y[k]), d)
	}
	for i := range h.s {
		beta := h.rho[i] * floats.Dot(h.y[i], d)
		floats.AddScaled(d, alpha[i]-beta, h.s[i])
	}
}
