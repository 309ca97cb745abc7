package train

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// objectiveConfigs are tinyConfig with each disentangling objective.
func objectiveConfigs() map[string]rundir.Config {
	with := func(o rundir.Objective, beta float64) rundir.Config {
		cfg := tinyConfig()
		cfg.Model.Beta = beta
		cfg.Objective = rundir.DefaultObjective(o, cfg.LR, false)
		cfg.LogEvery = 1 // a row per step: a row's train columns are the mean since the previous one
		return cfg
	}
	return map[string]rundir.Config{
		"beta-tcvae-mss": with(rundir.Objective{Kind: rundir.BetaTCVAE}, 6),
		"beta-tcvae-mws": with(rundir.Objective{Kind: rundir.BetaTCVAE, TCEstimator: rundir.MWS}, 6),
		"factor-vae":     with(rundir.Objective{Kind: rundir.FactorVAE, Gamma: 10, DiscriminatorLayers: 2, DiscriminatorWidth: 32}, 1),
		"capacity":       with(rundir.Objective{Capacity: 25, CapacitySteps: 10}, 1),
	}
}

// TestObjectivesTrainAndResume trains each objective for 20 steps on a
// slice of MNIST: no step is NaN (Fit stops at one), the test negative
// ELBO falls, every row of metrics.csv holds the objective's columns, and
// a run interrupted at step 13 and resumed ends with every variable of
// one that never stopped: FactorVAE's discriminator and its Adam too,
// which the checkpoints hold.
func TestObjectivesTrainAndResume(t *testing.T) {
	testenv.MNIST(t)
	for name, cfg := range objectiveConfigs() {
		t.Run(name, func(t *testing.T) {
			whole, parts := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "parts")
			res := fit(t, cfg, Options{Out: whole})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, err := Fit(ctx, testenv.XLA(t), cfg, Options{Out: parts, Progress: cancelAt{13, cancel}}); !errors.Is(err, ErrInterrupted) {
				t.Fatalf("Fit cancelled at step 13: %v, want ErrInterrupted", err)
			}
			fit(t, rundir.Config{}, Options{Out: parts, Resume: true})
			a, b := latest(t, whole), latest(t, parts)
			compareVars(t, a, b, 0)
			cols := append(lossColumns(), rundir.ObjectiveColumns(cfg.Objective)...)
			compareMetrics(t, "uninterrupted", whole, "resumed", parts, cols, 0, 13)

			rows := readMetrics(t, whole)
			first := math.NaN()
			for _, r := range rows {
				if v := r["test_neg_elbo"]; !math.IsNaN(v) {
					first = v
					break
				}
			}
			if !(res.Test.NegELBO < first) {
				t.Errorf("test negative ELBO %.2f after 20 steps, %.2f after 10: want a fall", res.Test.NegELBO, first)
			}
			for _, r := range rows {
				for _, col := range rundir.ObjectiveColumns(cfg.Objective) {
					if v, ok := r[col]; !ok || math.IsNaN(v) {
						t.Errorf("metrics.csv step %v: %s is %v (present: %v)", r["step"], col, v, ok)
					}
				}
			}
			checkObjectiveRun(t, cfg, whole, rows)
		})
	}
}

// checkObjectiveRun checks what only one objective's run has.
func checkObjectiveRun(t *testing.T, cfg rundir.Config, dir string, rows []map[string]float64) {
	t.Helper()
	switch o := cfg.Objective; {
	case o.Kind == rundir.BetaTCVAE:
		saved, err := rundir.ReadConfig(dir)
		if err != nil || saved.Objective.TrainSize != cfg.Data.TrainLimit {
			t.Errorf("the run's training split size %d, want %d (%v)", saved.Objective.TrainSize, cfg.Data.TrainLimit, err)
		}
	case o.Kind == rundir.FactorVAE:
		var disc, moments int
		for _, v := range latest(t, dir).Vars {
			switch {
			case strings.HasPrefix(v.Scope, "/"+models.DiscriminatorScope+"/") && v.Trainable:
				disc++
			case strings.HasPrefix(v.Scope, "/"+models.DiscriminatorScope+"_adam/"):
				moments++
			}
		}
		if disc == 0 || moments < 2*disc {
			t.Errorf("the checkpoint holds %d discriminator variables and %d of its Adam's moments", disc, moments)
		}
		for _, r := range rows {
			if acc := r["train_disc_acc"]; !(acc >= 0 && acc <= 1) {
				t.Errorf("step %v: discriminator accuracy %v", r["step"], acc)
			}
		}
	case o.Annealed():
		for _, r := range rows {
			step := int64(r["step"])
			if want := Capacity(cfg, step-1); !(math.Abs(r["capacity"]-want) <= 1e-4) {
				t.Errorf("step %d: capacity %v, want %v", step, r["capacity"], want)
			}
		}
	}
}

// TestCapacity checks the capacity schedule: 0 at the first step, rising
// linearly to C_max at CapacitySteps and held there; 0 without annealing.
func TestCapacity(t *testing.T) {
	cfg := rundir.Config{Objective: rundir.Objective{Capacity: 25, CapacitySteps: 100}}
	for _, c := range []struct {
		step int64
		want float64
	}{{0, 0}, {1, 0.25}, {50, 12.5}, {99, 24.75}, {100, 25}, {1000, 25}} {
		if got := Capacity(cfg, c.step); !(math.Abs(got-c.want) <= 1e-12) {
			t.Errorf("Capacity at step %d = %v, want %v", c.step, got, c.want)
		}
	}
	if got := Capacity(rundir.Config{}, 10); got != 0 {
		t.Errorf("Capacity without annealing = %v", got)
	}
}

// TestObjectiveRefusals checks that a session refuses what an objective
// cannot train: several devices (the TC estimates span the batch), a
// β-TCVAE config without the training split's size, or one with fewer
// images than a batch.
func TestObjectiveRefusals(t *testing.T) {
	cfgs := objectiveConfigs()
	if err := checkObjective(cfgs["factor-vae"], 2); !errors.Is(err, ErrDevices) {
		t.Errorf("FactorVAE on 2 devices: %v, want ErrDevices", err)
	}
	if err := checkObjective(cfgs["capacity"], 2); err != nil {
		t.Errorf("capacity annealing on 2 devices: %v", err)
	}
	tc := cfgs["beta-tcvae-mss"]
	if err := checkObjective(tc, 1); err == nil || !strings.Contains(err.Error(), "training split's size") {
		t.Errorf("β-TCVAE without its training split's size: %v", err)
	}
	tc.Objective.TrainSize = tc.BatchSize - 1
	if err := checkObjective(tc, 1); err == nil || !strings.Contains(err.Error(), "fewer than --batch-size") {
		t.Errorf("β-TCVAE with fewer images than a batch: %v", err)
	}
}

// TestTCWeightLowersTC trains β-TCVAE with β = 1 and β = 10 from the same
// start for 150 steps on 3,200 MNIST images: the heavier TC weight must
// leave the batches' measured TC (the mean of the last 50 steps) at least
// 1 nat lower. Measured: 3.56 nats with β = 1, −0.16 with β = 10 (an
// estimate: it may fall below 0).
func TestTCWeightLowersTC(t *testing.T) {
	testenv.MNIST(t)
	tc := map[float64]float64{}
	for _, beta := range []float64{1, 10} {
		cfg := tinyConfig()
		cfg.Model.Latent, cfg.BatchSize = 8, 64
		cfg.Data.TrainLimit, cfg.Steps, cfg.SaveEvery, cfg.LogEvery, cfg.EvalEvery = 3200, 150, 0, 50, 150
		cfg.Model.Beta = beta
		cfg.Objective = rundir.DefaultObjective(rundir.Objective{Kind: rundir.BetaTCVAE}, cfg.LR, false)
		dir := filepath.Join(t.TempDir(), "run")
		fit(t, cfg, Options{Out: dir})
		rows := readMetrics(t, dir)
		tc[beta] = rows[len(rows)-1]["train_tc"]
	}
	t.Logf("train TC over the last 50 steps: %.3f nats with β = 1, %.3f with β = 10", tc[1], tc[10])
	if !(tc[10] <= tc[1]-1) {
		t.Errorf("train TC %.3f nats with β = 10, %.3f with β = 1: want at least 1 nat lower", tc[10], tc[1])
	}
}

// TestCapacityHoldsKL trains with capacity annealing, C rising to 5 nats
// over 50 steps and held for 100 more on 3,200 MNIST images: γ = 1000
// pulls the batches' KL to C, so the mean KL of the last 50 steps must be
// within 1 nat of 5, where a plain run's is 11.9. Measured: 5.00.
func TestCapacityHoldsKL(t *testing.T) {
	testenv.MNIST(t)
	cfg := tinyConfig()
	cfg.Model.Latent, cfg.BatchSize = 8, 64
	cfg.Data.TrainLimit, cfg.Steps, cfg.SaveEvery, cfg.LogEvery, cfg.EvalEvery = 3200, 150, 0, 10, 150
	cfg.Objective = rundir.DefaultObjective(rundir.Objective{Capacity: 5, CapacitySteps: 50}, cfg.LR, false)
	dir := filepath.Join(t.TempDir(), "run")
	fit(t, cfg, Options{Out: dir})
	var kl float64
	var n int
	for _, r := range readMetrics(t, dir) {
		if r["step"] > 100 {
			kl += r["train_kl"]
			n++
		}
	}
	t.Logf("mean train KL of the last 50 steps: %.3f nats", kl/float64(n))
	if kl /= float64(n); n != 5 || !(math.Abs(kl-5) <= 1) {
		t.Errorf("mean train KL of the last 50 steps %.3f nats (%d rows), want within 1 of C = 5", kl, n)
	}
}

// TestFactorVAEUpdatesAreSeparate checks that FactorVAE's two Adams each
// move only their own variables: with the discriminator's learning rate
// at 1e-30 its variables stay put (within 1e-20) while the model's move,
// and with the model's at 1e-30 the model stays put while the
// discriminator moves. Were the discriminator not frozen for the model's
// update (the model's loss reaches it through the TC term), or the model
// for the discriminator's (its loss reaches the encoder through the
// codes), the frozen side would move by about the other learning rate.
func TestFactorVAEUpdatesAreSeparate(t *testing.T) {
	b := testenv.XLA(t)
	for _, c := range []struct {
		name    string
		lr, dlr float64
		still   bool // whether the discriminator (true) or the model (false) must stay put
	}{{"model-only", 1e-3, 1e-30, true}, {"discriminator-only", 1e-30, 1e-3, false}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := objectiveConfigs()["factor-vae"]
			cfg.LR, cfg.Objective.DiscriminatorLR = c.lr, c.dlr
			ctx := gctx.New()
			if err := ctx.SetRNGStateFromSeed(1); err != nil {
				t.Fatal(err)
			}
			sess, err := NewSession(b, cfg, ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Finalize()
			size := cfg.BatchSize * cfg.Model.Height * cfg.Model.Width * cfg.Model.Channels
			images := testenv.Blobs(cfg.BatchSize*4, 5)
			var before map[string][]float32
			for step := range 4 {
				if step == 1 { // the variables exist once the first step has run
					before = trainableValues(t, ctx)
				}
				if _, err := sess.Step(images[step*size:(step+1)*size], nil, int64(step)); err != nil {
					t.Fatal(err)
				}
			}
			moved := map[bool]int{}
			for name, now := range trainableValues(t, ctx) {
				disc := strings.HasPrefix(name, "/"+models.DiscriminatorScope+"/")
				d := 0.0
				for i, v := range now {
					d = max(d, math.Abs(float64(v-before[name][i])))
				}
				if d > 1e-20 {
					moved[disc]++
					if disc == c.still {
						t.Errorf("%s moved by %g", name, d)
					}
				}
			}
			if moved[!c.still] == 0 {
				t.Errorf("none of the variables that should train moved")
			}
		})
	}
}

// trainableValues are ctx's trainable variables' values by scope and name.
func trainableValues(t *testing.T, ctx *gctx.Context) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if !v.Trainable {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](value)
	}
	return out
}
