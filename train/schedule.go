package train

import "github.com/latent-vae/latent/rundir"

// KLWeight is the KL term's weight at a step: the model's β, reached
// linearly over the first cfg.KLWarmup steps.
func KLWeight(cfg rundir.Config, step int64) float64 {
	if cfg.KLWarmup <= 0 || step >= cfg.KLWarmup {
		return cfg.Model.Beta
	}
	return cfg.Model.Beta * float64(step+1) / float64(cfg.KLWarmup)
}
