package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// familyConfigs are tiny runs of every model and of the objectives beyond
// the ELBO, on a slice of real MNIST (tinyConfig's). The run named
// conditionalRun is trained with Options.Conditional.
func familyConfigs() map[string]rundir.Config {
	resnet, ladder, iw, cond, pixel := tinyConfig(), tinyConfig(), tinyConfig(), tinyConfig(), tinyConfig()
	resnet.Model.Model, resnet.Model.Blocks, resnet.Model.Norm, resnet.Model.Hidden = models.ResNet, 1, models.NormLayer, 32
	ladder.Model.Model, ladder.Model.Blocks, ladder.Model.Groups, ladder.Model.Hidden = models.Ladder, 1, 2, 32
	ladder.Objective = rundir.Objective{FreeBits: 0.05, LRSchedule: rundir.CosineLR, WarmupSteps: 4, EMA: 0.9}
	ladder.Data.Binarize = true
	iw.Objective = rundir.Objective{IWTrain: 3, EMA: 0.9}
	iw.Model.Likelihood = models.DiscreteLogistic
	cond.Model.Model, cond.Model.Blocks, cond.Model.Groups, cond.Model.Hidden = models.Ladder, 1, 2, 32
	cond.Objective.IWTrain = 3
	pixel.Model.PixelWidth, pixel.Model.PixelKernel = 8, 5
	pixel.Data.Binarize = true
	vq, vqGrad, fsq := tinyVQConfig(models.QuantizerVQ), tinyVQConfig(models.QuantizerVQ), tinyVQConfig(models.QuantizerFSQ)
	vqGrad.Model.CodebookUpdate = models.CodebookGradient
	vqGrad.Model.Likelihood = models.Gaussian
	return map[string]rundir.Config{"resnet": resnet, "ladder": ladder, "conv, IW training, logistic": iw, conditionalRun: cond,
		"conv with a pixel head, binarized": pixel, "vq": vq, "vq, gradient codebook, gaussian": vqGrad, "fsq": fsq}
}

// conditionalRun names the conditional run of familyConfigs.
const conditionalRun = "conditional ladder, IW training"

// TestFamilyTrainsAndResumes: every model trains (the test negative ELBO
// after 20 steps is below the one after the first epoch of 10) and, stopped
// mid-epoch by a cancelled context and resumed, ends with exactly the variables (weights, Adam
// moments, averages, RNG) of a run that never stopped. A ladder's
// metrics.csv has a column per layer's KL, summing to the KL column.
func TestFamilyTrainsAndResumes(t *testing.T) {
	testenv.MNIST(t)
	for name, cfg := range familyConfigs() {
		t.Run(name, func(t *testing.T) {
			whole, parts := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "parts")
			cond := name == conditionalRun
			res := fit(t, cfg, Options{Out: whole, Conditional: cond})
			if saved, err := rundir.ReadConfig(whole); err != nil || cond != (saved.Model.Classes == 10 && len(saved.Classes) == 10) {
				t.Fatalf("trained with Conditional %v: the run's config has %d classes, names %v (%v)", cond, saved.Model.Classes, saved.Classes, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := Fit(ctx, testenv.XLA(t), cfg, Options{Out: parts, Progress: cancelAt{13, cancel}, Conditional: cond})
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("Fit cancelled at step 13: %v, want ErrInterrupted", err)
			}
			fit(t, rundir.Config{}, Options{Out: parts, Resume: true})
			compareVars(t, latest(t, whole), latest(t, parts), 0)
			rows := readMetrics(t, whole)
			first := rows[0]["test_neg_elbo"]
			if !(res.Test.NegELBO < first) {
				t.Errorf("test negative ELBO %.2f after 20 steps, %.2f after 10: want a fall", res.Test.NegELBO, first)
			}
			checkLayerColumns(t, cfg.Model.Layers(), rows)
		})
	}
}

// cancelAt is a Reporter that cancels training after step n (mid-epoch,
// between checkpoints), as Ctrl-C would.
type cancelAt struct {
	n      int64
	cancel func()
}

func (c cancelAt) Step(done, _ int64, _ models.Losses, _ float64) {
	if done == c.n {
		c.cancel()
	}
}
func (cancelAt) Eval(int64, float64, models.Losses) {}
func (cancelAt) Close()                             {}

// checkLayerColumns checks that the per-layer KL columns of metrics rows
// sum to the KL columns: both empty (a row without that split's
// evaluation) or both numbers that agree, in at least one row per split.
func checkLayerColumns(t *testing.T, layers int, rows []map[string]float64) {
	t.Helper()
	compared := map[string]int{}
	for _, r := range rows {
		for _, split := range []string{"train", "test"} {
			var sum float64
			for i := range layers {
				v, ok := r[fmt.Sprintf("%s_kl%d", split, i+1)]
				if !ok && layers > 1 {
					t.Fatalf("metrics.csv has no %s_kl%d column", split, i+1)
				}
				sum += v
			}
			if _, ok := r[split+"_kl1"]; layers < 2 && ok {
				t.Fatalf("a one-layer model's metrics.csv has per-layer columns")
			}
			if layers < 2 {
				continue
			}
			kl := r[split+"_kl"]
			switch {
			case math.IsNaN(kl) && math.IsNaN(sum):
			case !(math.Abs(sum-kl) <= 1e-3*(1+math.Abs(sum))):
				t.Errorf("step %v: %s per-layer KL sums to %v, the KL column is %v", r["step"], split, sum, kl)
			default:
				compared[split]++
			}
		}
	}
	if layers > 1 && (compared["train"] == 0 || compared["test"] == 0) {
		t.Errorf("%d train and %d test rows of per-layer KLs compared with the KL column, want some of each", compared["train"], compared["test"])
	}
}

// TestLoadUsesTheMovingAverage: a run trained with --ema d loads with the
// debiased average of its weights: after two steps with weights v1 and v2,
// (d·v1 + v2)/(1 + d).
func TestLoadUsesTheMovingAverage(t *testing.T) {
	testenv.MNIST(t)
	cfg := tinyConfig()
	cfg.Steps, cfg.SaveEvery, cfg.Keep = 2, 1, 2
	const d = 0.75
	cfg.Objective.EMA = d
	dir := filepath.Join(t.TempDir(), "run")
	fit(t, cfg, Options{Out: dir})
	v1, v2 := weights(t, filepath.Join(dir, checkpoints.Name(1))), weights(t, filepath.Join(dir, checkpoints.Name(2)))
	run, err := rundir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Averaged {
		t.Fatal("rundir.Load of a run with EMA weights: Averaged is false")
	}
	compared := 0
	for v := range run.Ctx.IterVariables() {
		if !v.Trainable || strings.HasPrefix(v.Scope(), rundir.EMAScope) {
			continue
		}
		got := tensors.MustCopyFlatData[float32](v.MustValue())
		a, b := v1[v.ScopeAndName()], v2[v.ScopeAndName()]
		for i := range got {
			want := (d*float64(a[i]) + float64(b[i])) / (1 + d)
			if !(math.Abs(float64(got[i])-want) <= 1e-5*(1+math.Abs(want))) {
				t.Fatalf("%s[%d] = %v, want the average %v of %v and %v", v.ScopeAndName(), i, got[i], want, a[i], b[i])
			}
		}
		compared++
	}
	if compared == 0 {
		t.Fatal("no trainable variables compared")
	}
}

// weights reads the trainable float variables of a checkpoint file.
func weights(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	ck, err := checkpoints.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, v := range ck.Vars {
		if v.Trainable && v.Value.DType() == dtypes.Float32 {
			out[v.Scope+"/"+v.Name] = tensors.MustCopyFlatData[float32](v.Value)
		}
	}
	return out
}

func TestLearningRate(t *testing.T) {
	cfg := rundir.DefaultConfig()
	cfg.LR, cfg.Steps = 1, 110
	for _, tc := range []struct {
		schedule string
		warmup   int64
		step     int64
		want     float64
	}{
		{rundir.ConstantLR, 0, 0, 1},
		{rundir.ConstantLR, 0, 109, 1},
		{rundir.ConstantLR, 10, 0, 0.1},
		{rundir.ConstantLR, 10, 4, 0.5},
		{rundir.ConstantLR, 10, 10, 1},
		{rundir.CosineLR, 10, 9, 1},
		{rundir.CosineLR, 10, 10, 1},
		{rundir.CosineLR, 10, 60, 0.5},
		{rundir.CosineLR, 10, 110, 0},
		{rundir.CosineLR, 0, 55, 0.5},
	} {
		cfg.Objective = rundir.Objective{LRSchedule: tc.schedule, WarmupSteps: tc.warmup}
		if got := LearningRate(cfg, tc.step); !(math.Abs(got-tc.want) <= 1e-12) {
			t.Errorf("%q schedule, %d warm-up steps, step %d: learning rate %v, want %v", tc.schedule, tc.warmup, tc.step, got, tc.want)
		}
	}
}

// TestParallelLadderMatchesOneDevice: a ladder with EMA and the cosine
// schedule trains on 2 host devices with the per-layer KL of one device
// (the session's outputs per device hold the layer columns too).
func TestParallelLadderMatchesOneDevice(t *testing.T) {
	b := testenv.XLADevices(t, 2)
	cfg := familyConfigs()["ladder"]
	losses := map[int][]models.Losses{}
	for _, devices := range []int{1, 2} {
		losses[devices], _ = parallelSteps(t, b, cfg, devices, 3)
	}
	for i, want := range losses[1] {
		got := losses[2][i]
		if len(got.KLLayers) != 2 || len(want.KLLayers) != 2 {
			t.Fatalf("step %d: per-layer KL %v (2 devices) and %v (1 device), want 2 layers each", i, got.KLLayers, want.KLLayers)
		}
		for j := range want.KLLayers {
			if d := math.Abs(got.KLLayers[j] - want.KLLayers[j]); !(d <= 1e-3*(1+math.Abs(want.KLLayers[j]))) {
				t.Errorf("step %d, layer %d: KL %v on 2 devices, %v on one", i, j+1, got.KLLayers[j], want.KLLayers[j])
			}
		}
	}
}
