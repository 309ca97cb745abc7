package prior

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
)

func TestCheckComponents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		k, d   int
		counts []int
		want   string // "" accepts
	}{
		{"5000 on 1000", 5000, 16, []int{1000}, "5000 full-covariance Gaussians in 16 dimensions needs at least 85000 codes (d+1 = 17 per component), there are 1000 codes: at most 58"},
		{"300 on 270", 300, 16, []int{270}, "there are 270 codes: at most 15 components"},
		{"300 on 270 in 2-d", 300, 2, []int{270}, "there are 270 codes: at most 90 components"},
		{"as many as fit", 100, 16, []int{1700}, ""},
		{"one more", 101, 16, []int{1700}, "at most 100 components"},
		{"none fits", 1, 16, []int{16}, "not even one component"},
		{"largest class decides", 58, 16, []int{17, 1000}, ""},
		{"no class holds them", 59, 16, []int{17, 1000}, "the largest of 2 classes has 1000 codes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckComponents(tc.k, tc.d, tc.counts)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("CheckComponents(%d, %d, %v) = %v; want %q", tc.k, tc.d, tc.counts, err, tc.want)
			}
		})
	}
}

// TestFitMixturesRefusesTooManyComponents: FitMixtures refuses before it
// fits, and a conditional prior's small class gets what it holds.
func TestFitMixturesRefusesTooManyComponents(t *testing.T) {
	x := mixtureSample(270, 3, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{1, 1}})
	if _, _, err := FitMixtures(Config{Latent: 2, Components: 300}, Codes{Z: x}, Codes{Z: x}); err == nil || !strings.Contains(err.Error(), "there are 270") {
		t.Errorf("300 components on 270 codes: %v; want a refusal naming the count", err)
	}
	labels := make([]int, 270)
	for i := range 30 {
		labels[i] = 1 // class 1: 30 codes, room for 10 components
	}
	m, _, err := FitMixtures(Config{Latent: 2, Classes: 2, Components: 20}, Codes{Z: x, Labels: labels}, Codes{Z: x, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if m.PerClass[0].K() != 20 || m.PerClass[1].K() != 10 {
		t.Errorf("classes of 240 and 30 codes: %d and %d components; want 20 and 10", m.PerClass[0].K(), m.PerClass[1].K())
	}
}

// fakeCheckpoint writes a file of step in dir ending in the SHA-256 of
// content, and returns that hash in hex.
func fakeCheckpoint(t *testing.T, dir string, step int64, content string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	if err := os.WriteFile(filepath.Join(dir, checkpoints.Name(step)), append([]byte(content), sum[:]...), 0o644); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sum[:])
}

func TestOriginCheck(t *testing.T) {
	run := t.TempDir()
	early := fakeCheckpoint(t, run, 10, "step 10")
	now := fakeCheckpoint(t, run, 20, "step 20")
	o := Origin{Dir: run, Step: 20, Latent: 4, Checkpoint: now, Recipe: "recipe"}
	fitted := func(edit func(*Config)) Config {
		c := Config{Kind: KindGMM}
		o.Stamp(&c)
		edit(&c)
		return c
	}
	for _, tc := range []struct {
		name         string
		edit         func(*Config)
		before       func() // changes the run folder
		err, warning string // "": none
	}{
		{"this checkpoint", func(*Config) {}, nil, "", ""},
		{"another size", func(c *Config) { c.Latent = 6 }, nil,
			"fitted to the 6-dimensional code of a run's step 20 (checkpoint sha " + now[:12] + "); run " + run + " (step 20, checkpoint sha " + now[:12] + ") has a 4-dimensional code", ""},
		{"conditional", func(c *Config) { c.Classes = 10 }, nil, "of 10 classes; run " + run, ""},
		{"another model", func(c *Config) { c.Model = "ladder" }, nil, "a ladder model's; run " + run + " (step 20, checkpoint sha " + now[:12] + ") is a conv model", ""},
		{"another run", func(c *Config) { c.RunRecipe = "other" }, nil, "of another run", ""},
		{"another checkpoint at this step", func(c *Config) { c.RunCheckpoint = early }, nil, "holds another checkpoint of step 20", ""},
		{"an earlier checkpoint", func(c *Config) { c.RunStep, c.RunCheckpoint = 10, early }, nil, "",
			"warning: the gmm prior was fitted to the codes of step 10, the run is at step 20"},
		{"another run's earlier checkpoint", func(c *Config) { c.RunStep, c.RunCheckpoint = 10, now }, nil, "holds another checkpoint of step 10", ""},
		{"a pruned earlier checkpoint", func(c *Config) { c.RunStep, c.RunCheckpoint = 5, "feed" }, nil, "", "fitted to the codes of step 5"},
		{"saved before origins", func(c *Config) { c.RunStep, c.RunCheckpoint, c.RunRecipe, c.Model = 10, "", "", "x" }, nil, "", "fitted to the codes of step 10"},
		{"saved before origins, another size", func(c *Config) { c.RunCheckpoint, c.Latent = "", 2 }, nil, "sha unrecorded); run", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warning, err := o.Check(fitted(tc.edit), "P")
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v; want %q", err, tc.err)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "P: ") || strings.Contains(err.Error(), "\n") ||
				!strings.Contains(err.Error(), "latent prior fit --run "+run+" --kind gmm")) {
				t.Errorf("error %q: want one line naming the file and the command that refits", err)
			}
			if tc.warning == "" && warning != "" || !strings.Contains(warning, tc.warning) {
				t.Errorf("warning %q; want %q", warning, tc.warning)
			}
		})
	}
}

// gmmPrior saves a one-component mixture of 2-d codes around centre in dir.
func gmmPrior(t *testing.T, dir string, centre float64) {
	t.Helper()
	x := mixtureSample(200, 1, []float64{1}, [][2]float64{{centre, centre}}, [][2]float64{{1, 1}})
	m, _, err := FitMixtures(Config{Latent: 2, Components: 1}, Codes{Z: x}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
}

// TestWorkspace: a fit takes the kind's lock, writes beside the prior in
// place and replaces it whole; --resume continues an interrupted fit, else
// the prior in place, and nothing is an error.
func TestWorkspace(t *testing.T) {
	run := t.TempDir()
	final := Dir(run, KindGMM)
	gmmPrior(t, final, 0)
	if err := os.WriteFile(filepath.Join(final, "metrics.csv"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(final, checkpoints.Name(0)))
	w, err := Begin(run, KindGMM, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(run, KindGMM, false); err == nil || !strings.Contains(err.Error(), "is being fitted by process") {
		t.Errorf("a second fit while one runs: %v; want an error naming the holder", err)
	}
	other, err := Begin(run, KindDiffusion, false) // another kind has its own lock
	if err != nil {
		t.Fatalf("a diffusion fit beside a gmm fit: %v", err)
	}
	other.Release()
	gmmPrior(t, w.Dir, 5)
	if now, _ := os.ReadFile(filepath.Join(final, checkpoints.Name(0))); !bytes.Equal(before, now) {
		t.Error("the prior in place changed before the fit committed")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Release()
	if now, _ := os.ReadFile(filepath.Join(final, checkpoints.Name(0))); bytes.Equal(before, now) {
		t.Error("Commit left the old prior in place")
	}
	if _, err := os.Stat(filepath.Join(final, "metrics.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old prior's metrics.csv outlived the new fit: %v", err)
	}
	if _, err := os.Stat(w.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial folder outlived Commit: %v", err)
	}
	if _, err := Begin(run, KindDiffusion, true); err == nil || !strings.Contains(err.Error(), "holds no diffusion prior to continue") {
		t.Errorf("--resume with nothing to continue: %v", err)
	}
	r, err := Begin(run, KindGMM, true) // the prior in place, copied
	if err != nil {
		t.Fatal(err)
	}
	if r.Saved == nil || !hasCheckpoint(r.Dir) || !hasCheckpoint(final) {
		t.Errorf("resume: saved %v, a copy %v, the prior in place %v", r.Saved, hasCheckpoint(r.Dir), hasCheckpoint(final))
	}
	r.Release()
}

// TestFitDiffusionInterruptResumeAndMetrics: a fit stopped at step 15
// saves that step, a resumed fit ends where an uninterrupted one does,
// metrics.csv holds each held-out row once, and a resume to no more steps
// does nothing.
func TestFitDiffusionInterruptResumeAndMetrics(t *testing.T) {
	b := testenv.XLA(t)
	codes := Codes{Z: ring(400, 1)}
	fit := func(dir string, steps int64, resume bool, stopAt int64) error {
		dc := DiffusionConfig{Width: 8, Blocks: 1, Steps: steps, BatchSize: 16, LR: 1e-3, EMA: 0.9, Skip: true}
		cfg := Config{Latent: 2, Seed: 1, Diffusion: &dc}
		cfg.Moments(codes.Z)
		stop := make(chan struct{})
		opt := FitOptions{Resume: resume, SaveEvery: 10, EvalEvery: 10, Stop: stop, Progress: func(done, _ int64, _ float64) {
			if done == stopAt {
				close(stop)
			}
		}}
		return FitDiffusion(b.Backend, dir, cfg, codes, codes, opt)
	}
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	if err := fit(whole, 30, false, -1); err != nil {
		t.Fatal(err)
	}
	var stopped *InterruptedError
	if err := fit(cut, 30, false, 15); !errors.As(err, &stopped) || stopped.Done != 15 || stopped.Steps != 30 {
		t.Fatalf("stopped after step 15: %v; want interrupted at step 15 of 30", err)
	}
	if ck, _, err := checkpoints.Latest(cut); err != nil || ck.Step != 15 {
		t.Fatalf("the interrupted fit's latest checkpoint: %v; want step 15", stepOf(ck, err))
	}
	if err := fit(cut, 30, true, -1); err != nil {
		t.Fatal(err)
	}
	if err := fit(cut, 30, true, -1); err == nil || !strings.Contains(err.Error(), "does nothing") {
		t.Errorf("a resume to the steps done: %v; want an error saying it does nothing", err)
	}
	for _, dir := range []string{whole, cut} {
		raw, err := os.ReadFile(filepath.Join(dir, "metrics.csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		var steps []string
		for _, l := range lines[1:] {
			f := strings.Split(l, ",")
			steps = append(steps, f[0])
			for _, v := range f[1:] {
				if v == "NaN" || v == "" {
					t.Errorf("%s: row %q has no loss", dir, l)
				}
			}
		}
		if lines[0] != metricsHeader || strings.Join(steps, " ") != "10 20 30" {
			t.Errorf("%s/metrics.csv: %q; want the header and rows of steps 10, 20, 30", dir, lines)
		}
	}
	a, _, errA := checkpoints.Latest(whole)
	c, _, errC := checkpoints.Latest(cut)
	if errA != nil || errC != nil || a.Step != 30 || c.Step != 30 || len(a.Vars) != len(c.Vars) {
		t.Fatalf("latest checkpoints: %v %v", errA, errC)
	}
	for i, v := range a.Vars { // the same programs on one machine: the same bits, up to a hair
		x, y := flat(t, v), flat(t, c.Vars[i])
		for j := range x {
			if !(math.Abs(x[j]-y[j]) <= 1e-6*(1+math.Abs(x[j]))) {
				t.Fatalf("variable %s/%s[%d]: %g uninterrupted, %g interrupted and resumed", v.Scope, v.Name, j, x[j], y[j])
			}
		}
	}
}

// stepOf describes a checkpoint by its step, or the error that read none.
func stepOf(ck *checkpoints.Checkpoint, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("step %d", ck.Step)
}

// flat is a float variable's values as float64 (nil for other dtypes).
func flat(t *testing.T, v checkpoints.Var) []float64 {
	t.Helper()
	if f, err := tensors.CopyFlatData[float32](v.Value); err == nil {
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	}
	return nil
}

func TestFitDiffusionStopsOnNaN(t *testing.T) {
	b := testenv.XLA(t)
	codes := Codes{Z: ring(200, 1)}
	dc := DiffusionConfig{Width: 8, Blocks: 1, Steps: 300, BatchSize: 16, LR: 1e30, EMA: 0.9}
	cfg := Config{Latent: 2, Seed: 1, Diffusion: &dc}
	cfg.Moments(codes.Z)
	dir := filepath.Join(t.TempDir(), "d")
	err := FitDiffusion(b.Backend, dir, cfg, codes, codes, FitOptions{SaveEvery: 1000})
	if err == nil || !strings.Contains(err.Error(), "lower --lr") {
		t.Fatalf("a fit at learning rate 1e30: %v; want the NaN stop's advice to lower --lr", err)
	}
	if hasCheckpoint(dir) {
		t.Error("the fit that went NaN saved a checkpoint")
	}
}

// spread is the mean standard deviation of n codes' d dimensions.
func spread(z []float32, d int) float64 {
	n := len(z) / d
	s := 0.0
	for j := range d {
		m, v := 0.0, 0.0
		for i := range n {
			m += float64(z[i*d+j]) / float64(n)
		}
		for i := range n {
			x := float64(z[i*d+j]) - m
			v += x * x / float64(n)
		}
		s += math.Sqrt(v) / float64(d)
	}
	return s
}

// TestTemperature: a mixture's codes spread as the temperature (one
// component: exactly), the diffusion prior's collapse to one code at 0.
func TestTemperature(t *testing.T) {
	run := t.TempDir()
	gmmPrior(t, Dir(run, KindGMM), 3)
	s, err := Read(run, KindGMM)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Mixtures()
	if err != nil {
		t.Fatal(err)
	}
	spreadAt := func(temp float64) float64 {
		z, err := m.Sample(500, 2, temp, nil)
		if err != nil {
			t.Fatal(err)
		}
		return spread(z, 2)
	}
	one, half, zero := spreadAt(1), spreadAt(0.5), spreadAt(0)
	if !(math.Abs(half/one-0.5) <= 1e-4 && zero <= 1e-6 && one > 0.5) {
		t.Errorf("mixture spread at temperature 1, 0.5, 0: %g, %g, %g; want s, s/2, 0", one, half, zero)
	}

	b := testenv.XLA(t)
	dc := DiffusionConfig{Width: 8, Blocks: 1, Steps: 20, BatchSize: 16, LR: 1e-3, EMA: 0}
	cfg := Config{Latent: 2, Seed: 1, Diffusion: &dc}
	codes := Codes{Z: ring(200, 1)}
	cfg.Moments(codes.Z)
	if err := FitDiffusion(b.Backend, Dir(run, KindDiffusion), cfg, codes, codes, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	saved, err := Read(run, KindDiffusion)
	if err != nil {
		t.Fatal(err)
	}
	d, err := saved.Diffusion(b.Backend, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Finalize()
	at := func(temp float64) float64 {
		z, err := d.Sample(64, 2, temp, nil, 5)
		if err != nil {
			t.Fatal(err)
		}
		return spread(z, 2)
	}
	dOne, dZero := at(1), at(0)
	if !(dZero <= 1e-5 && dOne > 100*dZero && dOne > 1e-3) {
		t.Errorf("diffusion spread at temperature 1 and 0: %g, %g; want 0 at 0, more at 1", dOne, dZero)
	}
}

// TestDiffusionUsesTheLabel fits a conditional diffusion prior to two
// classes on either side of x = 0 and checks each label's draws lie on its
// class's side: a denoiser that ignored the label would draw both sides.
func TestDiffusionUsesTheLabel(t *testing.T) {
	b := testenv.XLA(t)
	n := 1000
	x := mixtureSample(n, 5, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{0.3, 1}})
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 2
		x[2*i] += 3*float64(labels[i]) - 1.5 // class 0 at x = -1.5, class 1 at 1.5
	}
	run := t.TempDir()
	dc := DiffusionConfig{Width: 32, Blocks: 1, Steps: 600, BatchSize: 128, LR: 2e-3, EMA: 0.9, Skip: true}
	cfg := Config{Latent: 2, Classes: 2, Seed: 1, Diffusion: &dc}
	codes := Codes{Z: x, Labels: labels}
	cfg.Moments(codes.Z)
	if err := FitDiffusion(b.Backend, Dir(run, KindDiffusion), cfg, codes, codes, FitOptions{}); err != nil {
		t.Fatal(err)
	}
	saved, err := Read(run, KindDiffusion)
	if err != nil {
		t.Fatal(err)
	}
	d, err := saved.Diffusion(b.Backend, 200)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Finalize()
	ys := make([]int, 200)
	for i := range ys {
		ys[i] = i % 3 % 2
	}
	z, err := d.Sample(len(ys), 3, 1, ys, 20)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, y := range ys {
		if !(z[2*i] < 0 == (y == 0)) || math.IsNaN(float64(z[2*i])) {
			wrong++
		}
	}
	t.Logf("%d of %d draws on the other class's side", wrong, len(ys))
	if !(wrong <= len(ys)/20) {
		t.Errorf("%d of %d draws lie on the other class's side: the denoiser ignores the label", wrong, len(ys))
	}
}

// TestScheduleKeepsRates: the shared schedule gives a diffusion fit the
// float32 rates it computed before it shared it, LR·min(1, (s+1)/200), for
// the default rate and others a user may pass, so a fit resumed across the
// change follows the same steps.
func TestScheduleKeepsRates(t *testing.T) {
	for _, lr := range []float64{DefaultDiffusion().LR, 1e-3, 3e-4, 1e-2, 5e-4} {
		d := DefaultDiffusion()
		d.LR = lr
		for s := range int64(2 * WarmupSteps) {
			want := float32(lr * min(1, float64(s+1)/200))
			if got := float32(d.schedule().At(s)); got != want {
				t.Fatalf("lr %g, step %d: rate %v, want %v", lr, s, got, want)
			}
		}
	}
}
