package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// TestTrainFamilyFlags: the model and objective flags land in the run's
// config, with the family's defaults filled in; bad values are refused
// naming the flags.
func TestTrainFamilyFlags(t *testing.T) {
	fs, a := trainFlagSet(&strings.Builder{})
	args := []string{"--out", "x", "--model", "ladder", "--norm", "layer", "--iw-train", "5", "--lr-schedule", "cosine",
		"--warmup-steps", "100", "--ema", "0.999", "--likelihood", "logistic"}
	if err := parseTest(fs, args); err != nil {
		t.Fatal(err)
	}
	if err := a.check(fs); err != nil {
		t.Fatal(err)
	}
	m, o := a.cfg.Model, a.cfg.Objective
	if m.Model != models.Ladder || m.Blocks != 1 || m.Groups != 2 || m.Norm != models.NormLayer || m.Likelihood != models.DiscreteLogistic {
		t.Errorf("model flags gave %+v", m)
	}
	if want := (rundir.Objective{IWTrain: 5, LRSchedule: rundir.CosineLR, WarmupSteps: 100, EMA: 0.999}); o != want {
		t.Errorf("objective flags gave %+v, want %+v", o, want)
	}
	fs, a = trainFlagSet(&strings.Builder{})
	if err := parseTest(fs, []string{"--out", "x", "--pixel-width", "16"}); err != nil {
		t.Fatal(err)
	}
	if err := a.check(fs); err != nil || a.cfg.Model.PixelWidth != 16 || a.cfg.Model.PixelKernel != models.DefaultPixelKernel {
		t.Errorf("--pixel-width 16 gave pixel width %d, kernel %d (%v); want 16 and the default window",
			a.cfg.Model.PixelWidth, a.cfg.Model.PixelKernel, err)
	}
	// An objective error starts with a prefix naming all five objective
	// flags; what follows it must name the setting that is wrong.
	const objective = "--iw-train, --free-bits, --lr-schedule, --warmup-steps or --ema: "
	for _, tc := range []struct {
		args         []string
		prefix, want string
	}{
		{[]string{"--ema", "1"}, objective, "EMA decay 1: want 0 (none) or a number in (0, 1)"},
		{[]string{"--ema", "-0.5"}, objective, "EMA decay -0.5"},
		{[]string{"--free-bits", "0.5", "--iw-train", "3"}, objective, "free bits shape the ELBO's KL term: they cannot be combined with training on the IW bound"},
		{[]string{"--lr-schedule", "step"}, objective, `learning-rate schedule "step"`},
		{[]string{"--warmup-steps", "-3"}, objective, "warm-up steps -3: must not be negative"},
		{[]string{"--iw-train", "-2"}, objective, "IW training samples -2"},
		{[]string{"--free-bits", "-1"}, objective, "free bits -1"},
		{[]string{"--pixel-width", "8", "--likelihood", "gaussian"}, "", `pixel head: needs one-channel images and the "bernoulli" likelihood`},
		{[]string{"--pixel-width", "8", "--pixel-kernel", "4"}, "", "pixel kernel 4: want an odd window"},
	} {
		var out, errb strings.Builder
		code := run(append([]string{"train", "--out", t.TempDir()}, tc.args...), &out, &errb)
		_, detail, found := strings.Cut(errb.String(), tc.prefix)
		if code == 0 || !found || !strings.Contains(detail, tc.want) {
			t.Errorf("latent train %v: exit %d, stderr %q; want a failure saying %q after %q", tc.args, code, errb.String(), tc.want, tc.prefix)
		}
	}
}

// TestOldRunSamplesAsConv: a run saved before the model family (no model
// name in config.json or its checkpoint) loads as the conv model and
// samples exactly what the same weights sample under the name "conv".
func TestOldRunSamplesAsConv(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	oldDir := filepath.Join(t.TempDir(), "old")
	if err := os.Mkdir(oldDir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(runDir, rundir.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	model, _ := doc["model"].(map[string]any)
	if model["model"] != "conv" {
		t.Fatalf("a new run's config.json has model %v, want \"conv\"", model["model"])
	}
	delete(model, "model")
	raw, _ = json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(oldDir, rundir.ConfigFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := rundir.ReadConfig(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Model != "" || cfg.Model.Network() != models.Conv || !reflect.DeepEqual(cfg.Objective, rundir.Objective{}) {
		t.Fatalf("old config read as model %q (network %q), objective %+v", cfg.Model.Model, cfg.Model.Network(), cfg.Objective)
	}
	ck, _, err := checkpoints.Latest(runDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := ck.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(oldDir, ck.Step, cfg, ctx, 3); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	a, c := filepath.Join(out, "new.png"), filepath.Join(out, "old.png")
	genMustRun(t, "sample", "--run", runDir, "-n", "6", "-o", a)
	genMustRun(t, "sample", "--run", oldDir, "-n", "6", "-o", c)
	genSameFiles(t, a, c)
}

// TestEvalSaysItsProtocol: eval names the model and the test images'
// protocol, grey or binarized.
func TestEvalSaysItsProtocol(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "protocol  grey: test pixels in [0, 1] scored as they are"},
		{[]string{"--binarize"}, "protocol  binarized: dynamically binarized test images"},
	} {
		code, stdout, stderr := genLatent(append([]string{"eval", "--run", runDir, "--iw", "2"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("latent eval %v: exit %d\n%s", tc.args, code, stderr)
		}
		for _, want := range []string{tc.want, "model  conv, 1 stochastic layer(s)"} {
			if !strings.Contains(strings.Join(strings.Fields(stdout), " "), strings.Join(strings.Fields(want), " ")) {
				t.Errorf("latent eval %v: output lacks %q:\n%s", tc.args, want, stdout)
			}
		}
	}
}
