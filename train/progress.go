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
	// Close ends the display.
	Close()
}

// NewReporter returns a progress bar on w when w is a terminal, else a
// reporter that prints a plain line every `every` steps and at evaluations.
func NewReporter(w io.Writer, terminal bool, every int64) Reporter {
	if !terminal {
		return &lines{w: w, every: max(every, 1)}
	}
	return &bar{w: w, bar: progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())}
}

type lines struct {
	w     io.Writer
	every int64
}

func (p *lines) Step(done, total int64, l models.Losses, imagesSec float64) {
	if done%p.every == 0 || done == total {
		fmt.Fprintf(p.w, "step %d/%d  neg ELBO %.2f  recon %.2f  KL %.2f  %.0f img/s\n",
			done, total, l.NegELBO, l.Recon, l.KL, imagesSec)
	}
}

func (p *lines) Eval(done int64, epoch float64, t models.Losses) {
	fmt.Fprintf(p.w, "epoch %.2f (step %d)  test neg ELBO %.2f nats  recon %.2f  KL %.2f\n",
		epoch, done, t.NegELBO, t.Recon, t.KL)
}

func (p *lines) Close() {}

type bar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (p *bar) Step(done, total int64, l models.Losses, imagesSec float64) {
	if p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	p.bar.Describe(fmt.Sprintf("neg ELBO %7.2f  recon %7.2f  KL %6.2f  %5.0f img/s", l.NegELBO, l.Recon, l.KL, imagesSec))
	_ = p.bar.Set64(done)
}

func (p *bar) Eval(done int64, epoch float64, t models.Losses) {
	_ = p.bar.Clear()
	fmt.Fprintf(p.w, "epoch %.2f (step %d)  test neg ELBO %.2f nats  recon %.2f  KL %.2f\n",
		epoch, done, t.NegELBO, t.Recon, t.KL)
}

func (p *bar) Close() { _ = p.bar.Finish() }
