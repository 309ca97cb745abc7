package vae

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// TestChecks: each check passes the values at its bounds and refuses
// those beyond them with an *ArgError naming the flag.
func TestChecks(t *testing.T) {
	traverse := TraverseOptions{Base: TraverseBase{Prior: "auto", PriorSteps: 50, Temperature: 1}, Steps: 9, Span: 3, Order: OrderKL, Scale: 3}
	with := func(f func(o *TraverseOptions)) error { o := traverse; f(&o); return o.Check() }
	tests := []struct {
		name string
		err  error
		want string // "": no error
	}{
		{"scale 1", CheckScale(1), ""},
		{"scale 64", CheckScale(64), ""},
		{"scale 0", CheckScale(0), "--scale 0: want 1 to 64"},
		{"scale 65", CheckScale(65), "--scale 65: want 1 to 64"},
		{"count max", CheckCount("-n", MaxImages), ""},
		{"count 0", CheckCount("-n", 0), "-n 0: want 1 to 65536"},
		{"count over", CheckCount("-k", MaxImages+1), "-k 65537: want 1 to 65536"},
		{"temperature 0", CheckTemperature(0), ""},
		{"temperature NaN", CheckTemperature(math.NaN()), "--temperature NaN: want ≥ 0"},
		{"temperature negative", CheckTemperature(-1), "--temperature -1: want ≥ 0"},
		{"temperature huge", CheckTemperature(1e39), "want at most 3.4e+38"},
		{"grid at limit", CheckGridSize(1, 1<<14, 1<<14, 1, "-n"), ""},
		{"grid over", CheckGridSize(2, 1<<14, 1<<14, 1, "-n and --scale"), "-n and --scale: 2 images of 16384x16384 pixels"},
		{"prior", CheckPrior("normal", 1), ""},
		{"prior unknown", CheckPrior("nope", 50), `--prior "nope": want`},
		{"prior steps", CheckPrior("auto", MaxPriorSteps+1), "--prior-steps 10001: want 1 to 10000"},
		{"fps", CheckFPS(0), "--fps 0: want 1 to 100"},
		{"traverse", traverse.Check(), ""},
		{"traverse steps", with(func(o *TraverseOptions) { o.Steps = 1 }), "--steps 1: want 2 to 1000"},
		{"traverse range", with(func(o *TraverseOptions) { o.Span = math.Inf(1) }), "--range +Inf: want a finite value > 0"},
		{"traverse range NaN", with(func(o *TraverseOptions) { o.Span = math.NaN() }), "--range NaN"},
		{"traverse index", with(func(o *TraverseOptions) { o.Base.Index = -1 }), "--index -1: want ≥ 0"},
		{"traverse which", with(func(o *TraverseOptions) { o.Base.Which = -2 }), "--which -2: want ≥ 0"},
		{"traverse order", with(func(o *TraverseOptions) { o.Order = "x" }), `--order "x": want kl or dim`},
		{"traverse scale", with(func(o *TraverseOptions) { o.Scale = 0 }), "--scale 0"},
		{"traverse prior", with(func(o *TraverseOptions) { o.Base.PriorSteps = 0 }), "--prior-steps 0"},
		{"traverse temperature", with(func(o *TraverseOptions) { o.Base.Temperature = -1 }), "--temperature -1"},
	}
	for _, tc := range tests {
		var arg *ArgError
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("%s: %v, want no error", tc.name, tc.err)
		case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, tc.err, tc.want)
		case tc.want != "" && !errors.As(tc.err, &arg):
			t.Errorf("%s: %T, want an *ArgError (a usage error)", tc.name, tc.err)
		}
	}
}

// TestSweep: Sweep draws the traversal its options describe, in their
// order, and refuses bad options and a grid too large before decoding.
func TestSweep(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	o := TraverseOptions{Base: TraverseBase{Seeded: true, Prior: "normal", PriorSteps: 1, Seed: 2, Temperature: 1},
		Steps: 3, Span: 2, Order: OrderDim, Scale: 1}
	tr, err := s.Sweep(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Order) != m.Latent || tr.KL != nil || tr.Order[0] != 0 || len(tr.Images) != m.Latent*3*m.Height*m.Width*m.Channels {
		t.Errorf("Sweep by dimension from a drawn code: order %v, KL %v, %d values", tr.Order, tr.KL, len(tr.Images))
	}
	if got, want := o.Describe(tr), "around a code drawn with seed 2 at temperature 1, rows by dimension"; !strings.Contains(got, want) {
		t.Errorf("Describe = %q, want it to hold %q", got, want)
	}
	o.Order, o.Base.Seeded, o.Base.Index = OrderKL, false, 1
	if tr, err = s.Sweep(o); err != nil || tr.KL == nil || tr.Index != 1 {
		t.Fatalf("Sweep by KL around test image 1: %v, KL %v, index %d", err, tr.KL, tr.Index)
	}
	if got := o.Describe(tr); !strings.Contains(got, "around test image 1's code, rows by decreasing KL") {
		t.Errorf("Describe = %q", got)
	}
	var arg *ArgError
	o.Steps, o.Scale = 1000, 64
	if _, err := s.Sweep(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--steps and --scale") {
		t.Errorf("Sweep of a grid too large: %v, want a usage error naming --steps and --scale", err)
	}
	o.Steps = 1
	if _, err := s.Sweep(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--steps 1") {
		t.Errorf("Sweep with --steps 1: %v, want the options' refusal", err)
	}
}
