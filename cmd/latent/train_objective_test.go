package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
)

// TestTrainObjectiveRefusals checks that `latent train` refuses the
// objectives' bad values and combinations before training: exit 2, one
// line naming the flag at fault.
func TestTrainObjectiveRefusals(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--objective", "tcvae"}, `--objective "tcvae": want elbo, beta-tcvae or factor-vae`},
		{[]string{"--objective", "beta-tcvae", "--model", "vq"}, "--objective beta-tcvae: needs a continuous code"},
		{[]string{"--objective", "factor-vae", "--model", "ladder"}, "--objective factor-vae: needs a code that is one flat vector"},
		{[]string{"--objective", "beta-tcvae", "--iw-train", "5"}, "--iw-train"},
		{[]string{"--objective", "beta-tcvae", "--tc-estimator", "exact"}, `--tc-estimator "exact"`},
		{[]string{"--tc-estimator", "mws"}, "--tc-estimator: the elbo objective has no such setting"},
		{[]string{"--objective", "factor-vae", "--alpha", "2"}, "--alpha: --objective factor-vae has no such setting"},
		{[]string{"--gamma", "5"}, "--gamma: the elbo objective has no such setting"},
		{[]string{"--capacity", "25"}, "--capacity-steps 0"},
		{[]string{"--capacity", "25", "--capacity-steps", "100", "--beta", "4"}, "leave --beta at 1"},
		{[]string{"--objective", "factor-vae", "--discriminator-width", "-3"}, "--discriminator-width -3"},
		{[]string{"--objective", "beta-tcvae", "--capacity", "25"}, "--capacity: --objective beta-tcvae has no such setting"},
		{[]string{"--capacity", "25", "--capacity-steps", "100", "--kl-warmup", "50"}, "--kl-warmup: capacity annealing"},
		{[]string{"--objective", "factor-vae", "--devices", "2"}, "--devices 2: --objective factor-vae trains on one device"},
	} {
		code, stdout, stderr := evLatent(append([]string{"train", "--out", filepath.Join(t.TempDir(), "run")}, c.args...)...)
		line := strings.TrimSpace(stderr)
		if code != 2 || !strings.Contains(line, c.want) || strings.Count(line, "\n") > 1 || stdout != "" {
			t.Errorf("latent train %v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// TestTrainBetaTCVAEThenEval trains a β-TCVAE run for a few steps through
// the command line and evaluates it: its config saves the objective as
// given and defaulted, with the training split's size, and eval scores it
// as any run.
func TestTrainBetaTCVAEThenEval(t *testing.T) {
	testenv.MNIST(t)
	testenv.XLA(t)
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := evLatent("train", "--data", "mnist", "--train-limit", "256", "--test-limit", "64", "--steps", "4",
		"--batch-size", "32", "--widths", "8,16", "--latent", "4", "--objective", "beta-tcvae", "--beta", "6", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("latent train: exit %d: %s", code, stderr)
	}
	cfg, err := rundir.ReadConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	want := rundir.Objective{Kind: rundir.BetaTCVAE, Alpha: 1, Gamma: 1, TCEstimator: rundir.MSS, TrainSize: 256}
	if cfg.Objective != want || cfg.Model.Beta != 6 {
		t.Errorf("saved objective %+v with β %v, want %+v with β 6", cfg.Objective, cfg.Model.Beta, want)
	}
	code, stdout, stderr := evLatent("eval", "--run", out, "--json", "--iw", "1")
	if code != 0 {
		t.Fatalf("latent eval: exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("eval --json: %v: %s", err, stdout)
	}
	if len(res) == 0 {
		t.Errorf("eval --json printed no fields: %s", stdout)
	}
}
