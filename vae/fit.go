package vae

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/latent-vae/latent/prior"
)

// ErrInterrupted is FitPrior's error when stop closed before the fit began.
var ErrInterrupted = errors.New("interrupted")

// FitPrior fits the prior of cfg by recipe to the run's codes in the
// workspace w (whose lock the caller holds), scores it (MeasurePrior) and
// commits it with its score (prior.QualityFile), with progress on Log;
// stop, when closed, interrupts the fit. It returns the fit's report, its
// score's line last. A prior kind that cannot fit the run's latent kind
// (prior.Kind.CheckLatent) is refused, in one line, before anything is encoded.
func (s *Session) FitPrior(w *prior.Workspace, recipe prior.Recipe, cfg prior.Config, stop <-chan struct{}) (string, error) {
	start := time.Now()
	if err := s.priorFits("kind", cfg.Kind); err != nil {
		return "", err
	}
	training, heldOut, err := s.PriorCodes(cfg, w, recipe)
	if err != nil {
		return "", err
	}
	if stopped(stop) {
		return "", ErrInterrupted
	}
	report, err := recipe.Fit(prior.Job{Backend: s.Backend, Workspace: w, Config: cfg, Training: training, HeldOut: heldOut,
		Start: start, Stop: stop, Progress: func(what string, steps int64) func(done, total int64, loss float64) {
			return fitProgress(s.Log, what, steps)
		}})
	if err != nil {
		return "", err
	}
	fitted := time.Since(start).Seconds()
	fmt.Fprintf(s.Log, "scoring the %s prior: %d samples against the test split…\n", w.Kind, QualitySamples)
	q := s.MeasurePrior(w)
	q.FitSeconds = fitted
	if err := prior.WriteQuality(w.Dir, q); err != nil {
		return "", err
	}
	if err := w.Commit(); err != nil {
		return "", err
	}
	return report + QualityLine(q) + "\n", nil
}

// priorFits refuses, as an *ArgError naming the flag that gave it, a prior
// kind that cannot fit the run's latent kind; a kind this latent does not
// know is left to the caller's own check.
func (s *Session) priorFits(flag, kind string) error {
	k, ok := prior.Lookup(kind)
	if !ok {
		return nil
	}
	if err := k.CheckLatent(s.Model.Kind()); err != nil {
		return argErrorf("--%s %s: %w", flag, kind, err)
	}
	return nil
}

// QualityLine says what a fit measured of its prior, in one line.
func QualityLine(q prior.Quality) string {
	if !q.Scored() {
		return fmt.Sprintf("score: unscored: %s", q.Unscored)
	}
	line := fmt.Sprintf("score: FID %.4g, precision %.3f, recall %.3f of %d samples against %d test images (%s), measured in %.1fs",
		q.FID, q.Precision, q.Recall, q.Samples, q.Reference, q.Features, q.ScoreSecs)
	if q.FitSeconds > 0 { // 0: a prior scored after its fit, whose time was not recorded
		line += fmt.Sprintf("; fit in %.1fs", q.FitSeconds)
	}
	return line
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// fitProgress reports a prior's fit of steps steps through StepProgress,
// with the step's loss on each line: one every tenth of the steps.
func fitProgress(w io.Writer, what string, steps int64) func(done, total int64, loss float64) {
	report := StepProgress(w, what, int(steps), int(max(steps/10, 1)))
	return func(done, total int64, loss float64) {
		report(int(done), int(total), fmt.Sprintf(", loss %.4f", loss))
	}
}

// PriorCodes returns cfg.Draws posterior draws of the codes of the run's
// training split, and one of its test split, with their labels, at cfg's
// temperature, once recipe is ready to fit them in w. The images are
// encoded as the run was trained on them (rundir.Config.TrainPixels and
// TestPixels): a run trained on binarized images has its codes of
// binarized images fitted, not of grey ones its decoder never saw.
func (s *Session) PriorCodes(cfg prior.Config, w *prior.Workspace, recipe prior.Recipe) (training, heldOut prior.Codes, err error) {
	set, err := s.DataSet("", "data set")
	if err != nil {
		return training, heldOut, err
	}
	if err := recipe.Ready(w, cfg, codeCounts(cfg, set.Train.Labels, set.Train.N)); err != nil {
		return training, heldOut, err
	}
	m, err := s.EvalModel(1000)
	if err != nil {
		return training, heldOut, err
	}
	codes := func(images []float32, labels []int, draws int) (prior.Codes, error) {
		z, err := m.Codes(images, labels, draws, cfg.Seed, cfg.DrawTemperature)
		if err != nil {
			return prior.Codes{}, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
		}
		c := prior.Codes{Z: make([]float64, len(z))}
		for i, v := range z {
			c.Z[i] = float64(v)
		}
		if s.Model.Conditional() {
			for range draws {
				c.Labels = append(c.Labels, labels...)
			}
		}
		return c, nil
	}
	run := s.Run.Config
	if training, err = codes(run.TrainPixels(set.Train), set.Train.Labels, cfg.Draws); err != nil {
		return training, heldOut, err
	}
	heldOut, err = codes(run.TestPixels(set.Test), set.Test.Labels, 1)
	return training, heldOut, err
}

// codeCounts are the codes per class that cfg.Draws draws of n training
// images (with their labels) give: one count for an unconditional run.
func codeCounts(cfg prior.Config, labels []int, n int) []int {
	if cfg.Classes == 0 {
		return []int{n * cfg.Draws}
	}
	counts := make([]int, cfg.Classes)
	for _, y := range labels[:n] {
		counts[y] += cfg.Draws
	}
	return counts
}
