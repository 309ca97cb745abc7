package train

import (
	"math"

	"github.com/latent-vae/latent/rundir"
)

// KLWeight is the KL term's weight at a step: the model's β, reached
// linearly over the first cfg.KLWarmup steps.
func KLWeight(cfg rundir.Config, step int64) float64 {
	if cfg.KLWarmup <= 0 || step >= cfg.KLWarmup {
		return cfg.Model.Beta
	}
	return cfg.Model.Beta * float64(step+1) / float64(cfg.KLWarmup)
}

// LearningRate is the learning rate of a step (counted from 0): cfg.LR,
// reached linearly over the first Objective.WarmupSteps steps, then, with
// the cosine schedule, decaying as a half cosine to zero at cfg.Steps
// (the run's end: a resumed run given a new end reshapes the rest of its
// schedule). It is computed on the host from the step alone, so a resumed
// run follows the schedule of one that never stopped.
func LearningRate(cfg rundir.Config, step int64) float64 {
	o := cfg.Objective
	if o.WarmupSteps > 0 && step < o.WarmupSteps {
		return cfg.LR * float64(step+1) / float64(o.WarmupSteps)
	}
	span := cfg.Steps - o.WarmupSteps
	if o.LRSchedule != rundir.CosineLR || span <= 0 {
		return cfg.LR
	}
	done := min(float64(step-o.WarmupSteps)/float64(span), 1)
	return cfg.LR * 0.5 * (1 + math.Cos(math.Pi*done))
}
