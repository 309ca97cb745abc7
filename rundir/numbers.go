package rundir

import (
	"fmt"
	"math"
)

// CheckNumbers refuses numbers the trainer cannot use, naming the flag of
// `latent train` that sets each: non-finite or negative rates and weights
// (GoMLX would take a negative learning rate as "use the default"), and
// negative counts.
func (c Config) CheckNumbers() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(c.LR) || c.LR <= 0:
		return fmt.Errorf("--lr %v: want a finite learning rate above 0", c.LR)
	case !finite(c.Model.Beta) || c.Model.Beta < 0:
		return fmt.Errorf("--beta %v: want a finite weight ≥ 0", c.Model.Beta)
	case c.BatchSize < 1:
		return fmt.Errorf("--batch-size %d: want at least 1", c.BatchSize)
	case c.EvalBatch < 1:
		return fmt.Errorf("--eval-batch %d: want at least 1", c.EvalBatch)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"--steps", c.Steps}, {"--epochs", int64(c.Epochs)}, {"--kl-warmup", c.KLWarmup},
		{"--save-every", c.SaveEvery}, {"--keep", int64(c.Keep)}, {"--log-every", c.LogEvery}, {"--eval-every", c.EvalEvery}} {
		if f.v < 0 {
			return fmt.Errorf("%s %d: want ≥ 0", f.name, f.v)
		}
	}
	return nil
}
