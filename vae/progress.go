package vae

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// NewProgress returns a progress reporter for eval.Model: a bar on w when
// it is a terminal, and a line with the time taken when a phase ends. When
// w is not a terminal (piped), a phase that runs for more than a couple of
// seconds also gets a line after its first batches and then every 30 s,
// with the images done and the time left.
func NewProgress(w io.Writer) func(phase string, done, total int) {
	return timedProgress(w, "images", time.Now)
}

// Plain progress lines when w is not a terminal: the first once a phase
// has run progressFirst, then one every progressEvery.
const (
	progressFirst = 2 * time.Second
	progressEvery = 30 * time.Second
)

// phaseNames are the words the progress lines use for eval.Model's phases.
var phaseNames = map[string]string{"encode": "encoding", "elbo": "ELBO", "iw": "importance sampling"}

// timedProgress is NewProgressOf with, when w is not a terminal, plain
// lines while a phase runs (see NewProgress), timed by now.
func timedProgress(w io.Writer, units string, now func() time.Time) func(phase string, done, total int) {
	inner := NewProgressOf(w, units)
	if IsTerminal(w) {
		return inner
	}
	var started, last time.Time
	return func(phase string, done, total int) {
		inner(phase, done, total)
		t := now()
		switch {
		case done == 0:
			started, last = t, t
			return
		case done >= total || t.Sub(started) < progressFirst || (last != started && t.Sub(last) < progressEvery):
			return
		}
		last = t
		elapsed := t.Sub(started)
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		fmt.Fprintf(w, "%s: %d of %d %s in %s, about %s left\n", cmp.Or(phaseNames[phase], phase), done, total, units,
			elapsed.Round(time.Second), left.Round(time.Second))
	}
}

// NewProgressOf is NewProgress for work counted in units, without the
// plain lines while a phase runs.
func NewProgressOf(w io.Writer, units string) func(phase string, done, total int) {
	names := phaseNames
	terminal := IsTerminal(w)
	var bar *progressbar.ProgressBar
	var started time.Time
	return func(phase string, done, total int) {
		name := cmp.Or(names[phase], phase)
		if done == 0 {
			started = time.Now()
			if terminal {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
					progressbar.OptionSetDescription(name), progressbar.OptionShowCount(),
					progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
			}
			return
		}
		if bar != nil {
			_ = bar.Set(done)
		}
		if done >= total {
			if bar != nil {
				_ = bar.Finish()
				bar = nil
			}
			fmt.Fprintf(w, "%s: %d %s in %.1fs\n", name, total, units, time.Since(started).Seconds())
		}
	}
}

// StepProgress reports the steps of a training phase on w through
// NewProgressOf (a bar on a terminal; the time taken at the end) and, when
// w is not a terminal, a line every `every` steps, ending with note.
func StepProgress(w io.Writer, phase string, steps, every int) func(done, total int, note string) {
	progress := NewProgressOf(w, "steps")
	progress(phase, 0, steps)
	terminal := IsTerminal(w)
	return func(done, total int, note string) {
		if !terminal && done%every == 0 && done < total {
			fmt.Fprintf(w, "%s: step %d of %d%s\n", phase, done, total, note)
		}
		progress(phase, done, total)
	}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
