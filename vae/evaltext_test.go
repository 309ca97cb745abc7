package vae

import (
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
)

// TestMiddleLimit: a long tighter bound gets the largest --limit of at
// most MiddleWay, else 100; a short one, or a small split, none.
func TestMiddleLimit(t *testing.T) {
	for _, c := range []struct {
		n     int
		total time.Duration
		want  int
	}{
		{10000, 41 * time.Minute, 200}, {10000, 10 * time.Minute, 2000}, {10000, time.Minute, 0},
		{10000, 10 * time.Hour, 100}, {80, time.Hour, 0}, {600, 20 * time.Minute, 100},
	} {
		if got := MiddleLimit(c.n, c.total); got != c.want {
			t.Errorf("MiddleLimit(%d, %s) = %d, want %d", c.n, c.total, got, c.want)
		}
	}
}

// TestEvaluationText: the table names the run, the layers' KL and the IW
// bound on −log p(x|y) of a conditional run, then the extra rows.
func TestEvaluationText(t *testing.T) {
	nll, bits := 90.5, 0.17
	r := Evaluation{Result: eval.Result{Losses: models.Losses{NegELBO: 100, Recon: 80, KL: 20, KLLayers: []float64{15, 5}},
		IWNLL: &nll, IWK: 10, ActiveUnits: 3, Latent: 4, ActiveLayers: []int{2, 1}, Images: 5},
		Run: "runs/a", Step: 7, Model: "ladder", Layers: 2, Classes: 10, Data: "mnist"}
	r.BitsPerDim.IWNLL = &bits
	var b strings.Builder
	if err := r.WriteText(&b, [2]string{"tighter", "latent eval --iw 1000"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"run               runs/a (step 7)\n", "layer 2", "5.000", "IW NLL (K=10)", "−log p(x|y); K=10 is quick",
		"on 10 classes", "\ntighter           latent eval --iw 1000\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("evaluation text lacks %q:\n%s", want, b.String())
		}
	}
}

// TestEvaluate: a quick K gives the IW bound and the tighter bound's hint
// naming the command; K = 0 measures no bound and gives none.
func TestEvaluate(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	r, hint, err := s.Evaluate(set.Name, set.Test, EvalOptions{Batch: 8, Chunk: 2, K: 2, Seed: 1, Hint: true, Command: "latent eval --run R"})
	if err != nil || r.IWNLL == nil || r.IWK != 2 || r.Images != set.Test.N || !strings.HasPrefix(hint, "latent eval --run R --iw 1000: about ") {
		t.Fatalf("Evaluate(K=2): %v, IW %v (K=%d), %d images, hint %q", err, r.IWNLL, r.IWK, r.Images, hint)
	}
	if v := *r.IWNLL; math.IsNaN(v) || math.IsInf(v, 0) {
		t.Errorf("IW bound %v, want a finite number", v)
	}
	r, hint, err = s.Evaluate(set.Name, set.Test, EvalOptions{Batch: 8, Chunk: 2, Seed: 1, Hint: true, Command: "c"})
	if err != nil || r.IWNLL != nil || hint != "" {
		t.Errorf("Evaluate(K=0): %v, IW %v, hint %q; want neither", err, r.IWNLL, hint)
	}
}
