package train

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latent-vae/latent/models"
)

// TestReporterBar checks that a terminal reporter draws a bar (not a
// spinner) for a run of 30 steps, ending at 30/30 on a line left on
// screen, with the batch and window-mean losses labelled.
func TestReporterBar(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(&buf, true, 10)
	for step := int64(1); step <= 30; step++ {
		r.Step(step, 30, models.Losses{NegELBO: float64(step), Recon: 1, KL: 2}, 100)
	}
	r.Eval(30, 1, models.Losses{NegELBO: 5})
	r.Close()
	out := buf.String()
	frames := strings.Split(out, "\r")
	last := frames[len(frames)-1]
	lastLine, evalLine, _ := strings.Cut(last, "\n")
	for _, want := range []string{"30/30", "100%", "batch   30.00", "mean of 10   25.50"} {
		if !strings.Contains(lastLine, want) {
			t.Errorf("last bar line %q lacks %q", lastLine, want)
		}
	}
	if !strings.Contains(lastLine, "█") || strings.Contains(out, "/-1") {
		t.Errorf("last bar line %q: want a filled bar of 30 steps", lastLine)
	}
	if !strings.HasPrefix(evalLine, "epoch 1.00 (step 30)  test neg ELBO 5.00") {
		t.Errorf("after the bar %q, want the evaluation line below the bar's last line", evalLine)
	}
	if !strings.Contains(out, "(15/30") {
		t.Errorf("no bar drawn half way: %q", out)
	}
}

// TestReporterBarInterrupted checks that an unfinished bar stays on screen
// at its step when closed.
func TestReporterBarInterrupted(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(&buf, true, 10)
	for step := int64(1); step <= 12; step++ {
		r.Step(step, 30, models.Losses{NegELBO: 1}, 100)
	}
	r.Close()
	out := buf.String()
	frames := strings.Split(out, "\r")
	if last := frames[len(frames)-1]; !strings.Contains(last, "(12/30") || !strings.HasSuffix(last, "\n") {
		t.Errorf("closed bar's last line %q: want 12/30 ending its line", last)
	}
}

// TestReporterLines checks the plain lines written when stderr is not a
// terminal: one every `every` steps and at the end, each with the batch
// loss and the mean of the steps since the last line.
func TestReporterLines(t *testing.T) {
	var buf bytes.Buffer
	r := NewReporter(&buf, false, 4)
	for step := int64(1); step <= 10; step++ {
		r.Step(step, 10, models.Losses{NegELBO: float64(step)}, 50)
	}
	r.Close()
	want := []string{
		"step 4/10  batch neg ELBO 4.00  mean of last 4 steps: neg ELBO 2.50  recon 0.00  KL 0.00  50 img/s",
		"step 8/10  batch neg ELBO 8.00  mean of last 4 steps: neg ELBO 6.50  recon 0.00  KL 0.00  50 img/s",
		"step 10/10  batch neg ELBO 10.00  mean of last 2 steps: neg ELBO 9.50  recon 0.00  KL 0.00  50 img/s",
	}
	if got := strings.Split(strings.TrimSpace(buf.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
