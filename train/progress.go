package train

import (
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/latent-vae/latent/models"
)

// Reporter shows training progress.
type Reporter interface {
	// Step is called after each training step with the batch's losses.
	Step(done, total int64, l models.Losses, imagesSec float64)
	// Eval is called after each test-split evaluation.
	Eval(done int64, epoch float64, test models.Losses)
	// Close ends the display, leaving its last line on screen.
	Close()
}

// NewReporter returns a progress bar on w when w is a terminal, else a
// reporter that prints a plain line every `every` steps and at evaluations.
// Both show the loss of the last batch and the mean over the steps since
// the last line (every steps at most), labelled as such.
func NewReporter(w io.Writer, terminal bool, every int64) Reporter {
	every = max(every, 1)
	if !terminal {
		return &lines{w: w, every: every, win: window{every: every}}
	}
	return &bar{w: w, win: window{every: every}}
}

// window is the mean of the batch losses of up to every steps.
type window struct {
	every int64
	acc   meanLosses
}

// add adds a step's losses, starting a new window after every steps.
func (w *window) add(l models.Losses) {
	if int64(w.acc.n) >= w.every {
		w.acc = meanLosses{}
	}
	w.acc.add(l)
}

// String labels the window's mean.
func (w *window) String() string {
	m := w.acc.mean()
	return fmt.Sprintf("mean of last %d steps: neg ELBO %.2f  recon %.2f  KL %.2f", w.acc.n, m.NegELBO, m.Recon, m.KL)
}

// evalLine is the line printed after a test evaluation.
func evalLine(w io.Writer, done int64, epoch float64, t models.Losses) {
	fmt.Fprintf(w, "epoch %.2f (step %d)  test neg ELBO %.2f nats  recon %.2f  KL %.2f\n",
		epoch, done, t.NegELBO, t.Recon, t.KL)
}

type lines struct {
	w     io.Writer
	every int64
	win   window
}

func (p *lines) Step(done, total int64, l models.Losses, imagesSec float64) {
	p.win.add(l)
	if done%p.every == 0 || done == total {
		fmt.Fprintf(p.w, "step %d/%d  batch neg ELBO %.2f  %v  %.0f img/s\n",
			done, total, l.NegELBO, &p.win, imagesSec)
	}
}

func (p *lines) Eval(done int64, epoch float64, t models.Losses) { evalLine(p.w, done, epoch, t) }

func (p *lines) Close() {}

// bar is a progress bar made at the first step, when the total is known,
// so that it is a bar for any number of steps (not a spinner).
type bar struct {
	w   io.Writer
	win window
	bar *progressbar.ProgressBar
}

func (p *bar) Step(done, total int64, l models.Losses, imagesSec float64) {
	if p.bar == nil || p.bar.GetMax64() != total {
		p.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(20),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetItsString("steps"), progressbar.OptionShowIts(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }))
	}
	p.win.add(l)
	m := p.win.acc.mean()
	p.bar.Describe(fmt.Sprintf("neg ELBO: batch %7.2f, mean of %d %7.2f", l.NegELBO, p.win.acc.n, m.NegELBO))
	_ = p.bar.Set64(done)
}

func (p *bar) Eval(done int64, epoch float64, t models.Losses) {
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Clear()
	}
	evalLine(p.w, done, epoch, t)
}

// Close leaves the bar's last state on screen: a finished bar ended its
// line; an unfinished one (an interrupted run) ends it here.
func (p *bar) Close() {
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Exit()
	}
}
