package train

import "fmt"

// Advice says that the run in dir had reached its end, and how to extend
// it, as `latent train --resume` prints it.
func (e *FinishedError) Advice(dir string) string {
	perEpoch := max(e.PerEpoch, 1)
	return fmt.Sprintf("%s is finished: it reached its end, step %d of %d (epoch %.4g); nothing was changed.\n"+
		"To train it further, give it a new end: latent train --out %s --resume --epochs %d (or --steps N, N above %d)\n",
		dir, e.Step, e.Steps, float64(e.Step)/float64(perEpoch), dir, e.Steps/perEpoch+1, e.Steps)
}
