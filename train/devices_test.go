package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// lossTol is the relative difference allowed between the losses of one
// run on different device counts: the programs sum in different orders.
const lossTol = 1e-3

// TestParallelSessionMatchesOneDevice trains the same model on the same
// batches on 1, 2 and 4 host devices: every step's loss must agree, the
// RNG state must be bit for bit the same (the noise is drawn for the whole
// batch, whatever the device count) and so must, within rounding, the
// trained variables.
func TestParallelSessionMatchesOneDevice(t *testing.T) {
	b := testenv.XLADevices(t, 4)
	const steps = 20
	want, wantVars := sessionLosses(t, b, 1, steps)
	for _, devices := range []int{2, 4} {
		got, vars := sessionLosses(t, b, devices, steps)
		worst := 0.0
		for i := range got {
			d := math.Abs(got[i]-want[i]) / math.Abs(want[i])
			worst = max(worst, d)
			if !(d <= lossTol) {
				t.Errorf("%d devices, step %d: negative ELBO %.6f, one device %.6f", devices, i, got[i], want[i])
			}
		}
		t.Logf("%d devices: largest relative loss difference over %d steps %.2g (first %.3f, last %.3f)", devices, steps, worst, got[0], got[steps-1])
		compareContexts(t, fmt.Sprintf("%d devices", devices), wantVars, vars)
	}
}

// sessionLosses trains a fresh tiny model for steps steps of batch 32 on
// devices devices of b and returns each step's negative ELBO and the
// model's variables by name.
func sessionLosses(t *testing.T, b backends.Backend, devices, steps int) ([]float64, map[string][]float32) {
	t.Helper()
	cfg := tinyConfig()
	cfg.Seed = 3
	trained, ctx := parallelSteps(t, b, cfg, devices, steps)
	losses := make([]float64, steps)
	for i, l := range trained {
		losses[i] = l.NegELBO
	}
	vars := map[string][]float32{}
	for v := range ctx.IterVariables() {
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		vars[v.ScopeAndName()] = asFloat32(t, value)
	}
	return losses, vars
}

// parallelSteps trains a fresh model cfg (RNG seeded with cfg.Seed) for
// steps steps on devices devices of b, on batches of synthetic squares, and
// returns each step's losses and the context holding its variables.
func parallelSteps(t *testing.T, b backends.Backend, cfg rundir.Config, devices, steps int) ([]models.Losses, *gctx.Context) {
	t.Helper()
	ctx := gctx.New()
	if err := ctx.SetRNGStateFromSeed(cfg.Seed); err != nil {
		t.Fatal(err)
	}
	sess, err := NewParallelSession(b, cfg, ctx, devices)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Finalize()
	size := cfg.BatchSize * cfg.Model.Height * cfg.Model.Width * cfg.Model.Channels
	images := testenv.Blobs(cfg.BatchSize*steps, 5)
	losses := make([]models.Losses, steps)
	for step := range steps {
		l, err := sess.Step(images[step*size:(step+1)*size], nil, int64(step))
		if err != nil {
			t.Fatalf("%d devices, step %d: %v", devices, step, err)
		}
		losses[step] = l
	}
	return losses, ctx
}

// asFloat32 returns t's values as float32 (RNG states keep their bits).
func asFloat32(t *testing.T, value *tensors.Tensor) []float32 {
	t.Helper()
	switch flat := value.Value().(type) {
	case []uint64:
		out := make([]float32, 0, 2*len(flat))
		for _, u := range flat {
			out = append(out, math.Float32frombits(uint32(u)), math.Float32frombits(uint32(u>>32)))
		}
		return out
	case int64:
		return []float32{float32(flat)}
	}
	return tensors.MustCopyFlatData[float32](value)
}

// compareContexts checks that got holds want's variables: the RNG state
// bit for bit, the rest within lossTol.
func compareContexts(t *testing.T, what string, want, got map[string][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d variables, one device %d", what, len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		if len(g) != len(w) {
			t.Errorf("%s: variable %s has %d values, one device %d", what, name, len(g), len(w))
			continue
		}
		exact := strings.Contains(name, "rng")
		for i := range w {
			diff := math.Abs(float64(g[i] - w[i]))
			if exact && math.Float32bits(g[i]) != math.Float32bits(w[i]) || !(diff <= lossTol*(1+math.Abs(float64(w[i])))) {
				t.Errorf("%s: variable %s[%d] = %g, one device %g", what, name, i, g[i], w[i])
				break
			}
		}
	}
}

// TestDevicesRefused: a batch that does not divide by the devices, more
// devices than the backend presents, and a new run asking for either,
// which leaves no folder behind.
func TestDevicesRefused(t *testing.T) {
	b := testenv.XLADevices(t, 4)
	cfg := tinyConfig()
	tests := []struct {
		batch, devices int
		want           string
	}{
		{30, 4, "batch size 30 does not divide by 4 devices"},
		{32, 5, "5 devices asked for, but the backend presents 4"},
	}
	for _, tc := range tests {
		cfg.BatchSize = tc.batch
		_, err := NewParallelSession(b, cfg, gctx.New(), tc.devices)
		if !errors.Is(err, ErrDevices) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("batch %d on %d devices: error %v, want %q", tc.batch, tc.devices, err, tc.want)
		}
		dir := filepath.Join(t.TempDir(), "run")
		_, err = Fit(context.Background(), b, cfg, Options{Out: dir, Devices: tc.devices})
		if !errors.Is(err, ErrDevices) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fit with batch %d on %d devices: error %v, want %q", tc.batch, tc.devices, err, tc.want)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused new run left its folder behind: %v", err)
		}
	}
}

// TestCheckpointsMoveBetweenDeviceCounts: a run stopped at step 13 on one
// device count and resumed on another (fewer, more, from one, to one) ends,
// step by step, where the run that never stopped does.
func TestCheckpointsMoveBetweenDeviceCounts(t *testing.T) {
	testenv.MNIST(t)
	b := testenv.XLADevices(t, 4)
	cfg := tinyConfig()
	cfg.LogEvery = 1
	wholes := map[int]string{} // the uninterrupted run on each device count
	for _, tc := range []struct{ before, after int }{{1, 2}, {2, 4}, {4, 2}, {2, 1}} {
		whole, ok := wholes[tc.before]
		if !ok {
			whole = filepath.Join(t.TempDir(), "whole")
			fitOn(t, b, cfg, Options{Out: whole, Devices: tc.before})
			wholes[tc.before] = whole
		}
		parts := filepath.Join(t.TempDir(), "parts")
		half := cfg
		half.Steps = 13 // mid-epoch, between checkpoints
		fitOn(t, b, half, Options{Out: parts, Devices: tc.before})
		fitOn(t, b, rundir.Config{Steps: cfg.Steps}, Options{Out: parts, Resume: true, Devices: tc.after})
		if ck := latest(t, parts); ck.Step != cfg.Steps {
			t.Fatalf("%d then %d devices: the resumed run ended at step %d, want %d", tc.before, tc.after, ck.Step, cfg.Steps)
		}
		compareMetrics(t, fmt.Sprintf("uninterrupted on %d devices", tc.before), whole,
			fmt.Sprintf("resumed from %d on %d devices", tc.before, tc.after), parts, []string{"train_neg_elbo", "test_neg_elbo"}, lossTol, half.Steps)
		compareVars(t, latest(t, whole), latest(t, parts), lossTol)
	}
}

func fitOn(t *testing.T, b backends.Backend, cfg rundir.Config, opt Options) Result {
	t.Helper()
	res, err := Fit(context.Background(), b, cfg, opt)
	if err != nil {
		t.Fatalf("Fit(%s) on %d devices: %v", opt.Out, opt.Devices, err)
	}
	return res
}
