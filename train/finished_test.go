package train

import (
	"strings"
	"testing"
)

// TestFinishedAdvice: the step reached, its epoch, and a new end one epoch
// past it; a run without epochs counts steps as epochs.
func TestFinishedAdvice(t *testing.T) {
	got := (&FinishedError{Step: 300, Steps: 300, PerEpoch: 100}).Advice("runs/a")
	for _, want := range []string{"runs/a is finished: it reached its end, step 300 of 300 (epoch 3); nothing was changed.\n",
		"latent train --out runs/a --resume --epochs 4 (or --steps N, N above 300)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("Advice = %q, want %q in it", got, want)
		}
	}
	if got := (&FinishedError{Step: 5, Steps: 5}).Advice("r"); !strings.Contains(got, "(epoch 5)") || !strings.Contains(got, "--epochs 6 ") {
		t.Errorf("Advice without epochs = %q, want epoch 5 and --epochs 6", got)
	}
}
