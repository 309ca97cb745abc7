package train

import (
	"github.com/latent-vae/latent/internal/schedule"
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
	s := schedule.LR{Peak: cfg.LR, Warmup: o.WarmupSteps, Cosine: o.LRSchedule == rundir.CosineLR, End: cfg.Steps}
	return s.At(step)
}
