package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryCommandOnAVQRun: on a tiny VQ run (conditional, so that
// decoding labels is covered too) each command either works, writing its
// output, or refuses in one line that names what it needs (--manifold, a
// plane of two real dimensions; a cell outside the grid). interpolate,
// traverse, map and neighbors work on the grid (vae's TestVQExplore checks
// what they draw). (serve's code-grid explorer: TestServeBrowserGrid.)
func TestEveryCommandOnAVQRun(t *testing.T) {
	needMNISTAndXLA(t)
	tmp := t.TempDir()
	run := filepath.Join(tmp, "run")
	if code, _, errOut := runLatent(t, nil, "train", "--out", run, "--model", "vq", "--conditional", "--codebook", "16",
		"--train-limit", "320", "--test-limit", "64", "--eval-batch", "64", "--widths", "8,16", "--latent", "4",
		"--batch-size", "32", "--steps", "6", "--quiet"); code != 0 {
		t.Fatalf("training a VQ run: exit %d\n%s", code, errOut)
	}
	out := func(name string) string { return filepath.Join(tmp, name) }
	for _, tc := range []struct {
		args   []string
		output string // written when the command works
		refuse string // in the one-line refusal; "" when the command works
		exit   int    // the refusal's exit status (0: any but 0)
	}{
		{[]string{"sample", "-o", out("s.png"), "--per-label", "2"}, out("s.png"), "", 0},
		{[]string{"sample", "-o", out("s.npy"), "-n", "16", "--label", "3"}, out("s.npy"), "", 0},
		{[]string{"reconstruct", "-o", out("r.png")}, out("r.png"), "", 0},
		{[]string{"eval", "--iw", "5"}, "", "", 0},
		{[]string{"anomaly", "-o", out("a.png")}, out("a.png"), "", 0},
		{[]string{"export", "-o", out("m.safetensors")}, out("m.safetensors"), "", 0},
		{[]string{"score", "-n", "64"}, "", "", 0},
		{[]string{"interpolate", "-o", out("i.gif"), "--from-index", "0", "--to-index", "1", "--strip", out("i.png")}, out("i.png"), "", 0},
		{[]string{"interpolate", "-o", out("i2.gif"), "--seed", "3", "--label", "2", "--method", "slerp"}, out("i2.gif"), "", 0},
		{[]string{"traverse", "-o", out("t.png"), "--cell", "0,6", "--steps", "5"}, out("t.png"), "", 0},
		{[]string{"traverse", "-o", out("t2.png"), "--seed", "4", "--label", "1"}, out("t2.png"), "", 0},
		{[]string{"map", "-o", out("m.png")}, out("m.png"), "", 0},
		{[]string{"map", "-o", out("m.csv"), "--method", "tsne"}, out("m.csv"), "", 0},
		{[]string{"neighbors", "--index", "0", "-o", out("n.png")}, out("n.png"), "", 0},
		{[]string{"map", "--manifold", "-o", out("mf.png")}, "", "--manifold needs a continuous latent", 0},
		{[]string{"traverse", "--cell", "7,0", "-o", out("t3.png")}, "", `--cell "7,0": out of the 7×7 grid`, 2},
		{[]string{"traverse", "-o", out("t4.png"), "--order", "index", "--steps", "4"}, out("t4.png"), "", 0},
		{[]string{"traverse", "--range", "2", "-o", out("t5.png")}, "", "--range 2: a vq run's traversal sets a cell of its grid to codes, which have no range", 2},
		{[]string{"traverse", "--order", "dim", "-o", out("t6.png")}, "", "--order dim: a vq run's grid has no dimensions to order", 2},
	} {
		args := append([]string{tc.args[0], "--run", run}, tc.args[1:]...)
		code, stdout, stderr := runLatent(t, nil, args...)
		if tc.refuse == "" {
			if code != 0 || (tc.output != "" && !fileExists(tc.output)) {
				t.Errorf("latent %s: exit %d, wrote %s: %v; want it to work\n%s", strings.Join(tc.args, " "), code, tc.output, fileExists(tc.output), stderr)
			}
			if tc.args[0] == "eval" && !strings.Contains(stdout, "of the codebook used, perplexity") {
				t.Errorf("latent eval on a VQ run does not report its code usage:\n%s", stdout)
			}
			continue
		}
		var refusals []string
		for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if strings.HasPrefix(line, "latent "+tc.args[0]+":") {
				refusals = append(refusals, line)
			}
		}
		if code == 0 || (tc.exit != 0 && code != tc.exit) || len(refusals) != 1 || !strings.Contains(refusals[0], tc.refuse) || !strings.Contains(refusals[0], "grid") {
			t.Errorf("latent %s: exit %d, refusals %q; want one line saying %q and naming the grid\n%s", strings.Join(tc.args, " "), code, refusals, tc.refuse, stderr)
		}
	}
}

// TestVQTrainFlagsRefused: the quantiser's flags on another model, and a
// dense layer on a vq model, are usage errors naming the flag.
func TestVQTrainFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--codebook", "8"}, "--codebook: only --model vq quantizes its code"},
		{[]string{"--quantizer", "fsq"}, "--quantizer: only --model vq quantizes its code"},
		{[]string{"--model", "resnet", "--no-restarts"}, "--no-restarts: only --model vq quantizes its code"},
		{[]string{"--model", "vq", "--hidden", "64"}, "--hidden: the vq model has no dense layer"},
		{[]string{"--model", "vq", "--quantizer", "fsq", "--levels", "8,x"}, "--levels:"},
	} {
		args := append([]string{"train", "--out", filepath.Join(t.TempDir(), "run")}, tc.args...)
		code, _, stderr := runLatent(t, nil, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("latent %s: exit %d, %q; want exit 2 saying %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}
