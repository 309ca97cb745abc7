// Package schedule is latent's one learning-rate schedule: a linear
// warm-up to a peak rate, then the rate held or decayed as a half cosine
// to zero. It is computed on the host from the step alone, so a resumed
// training follows the schedule of one that never stopped.
package schedule

import "math"

// LR is a learning-rate schedule over steps counted from 0.
type LR struct {
	Peak   float64 // the rate after the warm-up
	Warmup int64   // steps over which the rate rises linearly to Peak (0: none)
	Cosine bool    // after the warm-up, decay as a half cosine to zero at End
	End    int64   // the step where the cosine reaches zero (the training's length)
}

// At returns the learning rate of a step: Peak·(step+1)/Warmup during the
// warm-up; then Peak, or with Cosine Peak·½(1 + cos(π·done)), done the
// share of the steps from the warm-up's end to End gone (at most 1).
func (s LR) At(step int64) float64 {
	if s.Warmup > 0 && step < s.Warmup {
		return s.Peak * float64(step+1) / float64(s.Warmup)
	}
	span := s.End - s.Warmup
	if !s.Cosine || span <= 0 {
		return s.Peak
	}
	done := min(float64(step-s.Warmup)/float64(span), 1)
	return s.Peak * 0.5 * (1 + math.Cos(math.Pi*done))
}
