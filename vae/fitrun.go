package vae

import (
	"errors"
	"fmt"

	"github.com/latent-vae/latent/prior"
)

// FitRunPrior fits the prior of cfg (cfg.Kind) by recipe to the run, in the
// run's workspace of that kind (prior.Begin: the kind's lock, taken before
// the codes are encoded, and its partial folder), refusing to resume a fit
// begun on another checkpoint of the run (prior.Workspace.CheckResume); cfg
// is stamped with the run checkpoint (prior.Origin.Stamp). The fit itself is
// FitPrior's, put in place whole. On an error the workspace is abandoned,
// unless the fit was interrupted after some progress (a
// *prior.InterruptedError with Done > 0): that one is kept for --resume.
// It returns the fit's report and the workspace, released, which an error
// message may name (nil when none was begun). recipe and cfg are checked
// first (PrepareFit).
func (s *Session) FitRunPrior(recipe prior.Recipe, cfg prior.Config, stop <-chan struct{}) (string, *prior.Workspace, error) {
	cfg, err := PrepareFit(recipe, cfg)
	if err != nil {
		return "", nil, err
	}
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		return "", nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	w, err := prior.Begin(s.Run.Dir, cfg.Kind, recipe.Resume())
	if err != nil {
		return "", nil, err
	}
	defer w.Release()
	if err := w.CheckResume(origin); err != nil {
		w.Abandon()
		return "", w, err
	}
	origin.Stamp(&cfg)
	report, err := s.FitPrior(w, recipe, cfg, stop)
	var interrupted *prior.InterruptedError
	if err != nil && !(errors.As(err, &interrupted) && interrupted.Done > 0) {
		w.Abandon()
	}
	return report, w, err
}
