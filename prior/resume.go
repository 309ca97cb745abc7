package prior

import "fmt"

// CheckResume refuses to continue the fit saved in the workspace (a
// resumed fit's: w.Saved) when it was begun on another checkpoint of the
// run than origin; a fresh workspace passes. It runs before the codes are
// encoded (the recipe's Ready refuses the rest).
func (w *Workspace) CheckResume(origin Origin) error {
	if w.Saved == nil {
		return nil
	}
	if w.Saved.RunStep != origin.Step || (w.Saved.RunCheckpoint != "" && w.Saved.RunCheckpoint != origin.Checkpoint) {
		return fmt.Errorf("--resume: the fit in %s was begun on the run's checkpoint of step %d, the run is now at step %d: start a new fit (without --resume)",
			w.Dir, w.Saved.RunStep, origin.Step)
	}
	return nil
}

// needMoreSteps refuses a resumed fit in w that has done steps already.
func (w *Workspace) needMoreSteps(steps int64) error {
	if w.Saved != nil && steps <= w.Done {
		return fmt.Errorf("--resume --steps %d: the fit in %s has done %d steps already; nothing was done: give --steps above %d to continue it",
			steps, w.Dir, w.Done, w.Done)
	}
	return nil
}

// resumedAt says, for a fit's report, the step a resumed fit began at: ""
// for a fit from the start.
func (w *Workspace) resumedAt() string {
	if w.Done == 0 {
		return ""
	}
	return fmt.Sprintf(", resumed at step %d", w.Done)
}
