package eval

import "math"

// LogSumExp accumulates log Σ exp(x) over values added one at a time or in
// chunks, keeping a running maximum so that no exp overflows or underflows
// to a wrong answer: the sum is stored as max + log Σ exp(x − max).
// Its zero value is the empty sum, log 0 = −Inf.
type LogSumExp struct {
	max   float64 // largest value seen, −Inf before any
	scale float64 // Σ exp(x − max) over the values seen
	n     int
}

// Add adds x to the sum.
func (s *LogSumExp) Add(x float64) {
	switch {
	case math.IsNaN(x):
		s.max, s.scale = math.NaN(), 1
	case s.n == 0 || x > s.max:
		if s.n == 0 || math.IsInf(s.max, -1) {
			s.scale = 0
		} else {
			s.scale *= math.Exp(s.max - x)
		}
		s.max = x
		s.scale++
	case math.IsInf(x, -1):
		// exp(−Inf) adds nothing.
	default:
		s.scale += math.Exp(x - s.max)
	}
	s.n++
}

// AddAll adds every value of xs.
func (s *LogSumExp) AddAll(xs []float64) {
	for _, x := range xs {
		s.Add(x)
	}
}

// N returns how many values were added.
func (s *LogSumExp) N() int { return s.n }

// Sum returns log Σ exp(x) over the values added: −Inf when none were.
func (s *LogSumExp) Sum() float64 {
	if s.n == 0 || math.IsInf(s.max, -1) {
		return math.Inf(-1)
	}
	if math.IsNaN(s.max) || math.IsInf(s.max, 1) {
		return s.max
	}
	return s.max + math.Log(s.scale)
}

// Mean returns log((1/n) Σ exp(x)), the log-mean-exp of the values added:
// NaN when none were.
func (s *LogSumExp) Mean() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.Sum() - math.Log(float64(s.n))
}

// LogMeanExp returns log((1/n) Σ exp(xs[i])) computed stably (NaN for no
// values).
func LogMeanExp(xs []float64) float64 {
	var s LogSumExp
	s.AddAll(xs)
	return s.Mean()
}
