package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// TestEvalVQBoundWithPrior: `latent eval` on a VQ run gives the bound
// with the fitted transformer prior beside the uniform prior's: with no
// prior fitted there is none; once one is, its −log p_prior(codes) per
// cell is the held-out loss the fit recorded on the same test images (a
// separate graph: GridLoss in the fit, LogProb on eval's codes; --ema 0 so
// that both read the same weights), and the bound is the reconstruction
// plus it.
func TestEvalVQBoundWithPrior(t *testing.T) {
	needMNISTAndXLA(t)
	run := trainTinyVQ(t)
	type bound struct {
		Recon      float64 `json:"recon"`
		KL         float64 `json:"kl"`
		PriorBound *struct {
			Prior    string  `json:"prior"`
			CodesNLL float64 `json:"codes_nll"`
			NegELBO  float64 `json:"neg_elbo"`
		} `json:"prior_bound"`
	}
	evaluate := func() bound {
		code, stdout, stderr := runLatent(t, nil, "eval", "--run", run, "--iw", "0", "--limit", "4096", "--json")
		var b bound
		if code != 0 || json.Unmarshal([]byte(stdout), &b) != nil {
			t.Fatalf("latent eval: exit %d\n%s\n%s", code, stdout, stderr)
		}
		return b
	}
	if b := evaluate(); b.PriorBound != nil {
		t.Errorf("no prior fitted, yet eval reports a bound with prior %q", b.PriorBound.Prior)
	}
	genMustRun(t, "prior", "fit", "--run", run, "--kind", "transformer", "--steps", "20", "--width", "16", "--layers", "1", "--heads", "2", "--ema", "0")
	b := evaluate()
	if b.PriorBound == nil || b.PriorBound.Prior != "transformer" {
		t.Fatalf("eval with a fitted transformer prior: bound %+v, want the transformer's", b.PriorBound)
	}
	if d := b.PriorBound.NegELBO - (b.Recon + b.PriorBound.CodesNLL); !(math.Abs(d) <= 1e-6*b.PriorBound.NegELBO) {
		t.Errorf("bound %v is not the reconstruction %v plus −log p(codes) %v", b.PriorBound.NegELBO, b.Recon, b.PriorBound.CodesNLL)
	}
	cells := 49.0 // the 7×7 grid of a 28×28 image
	if held := lastHeldOutLoss(t, filepath.Join(run, "priors", "transformer", "metrics.csv")); !(math.Abs(b.PriorBound.CodesNLL/cells-held) <= 1e-3*held) {
		t.Errorf("eval's −log p(codes) %v per image is %v per cell; the fit's held-out loss on the same images is %v", b.PriorBound.CodesNLL, b.PriorBound.CodesNLL/cells, held)
	}
	if uniform := cells * math.Log(16); !(math.Abs(b.KL-uniform) <= 1e-3) {
		t.Errorf("the uniform prior's KL is %v, want 49·ln 16 = %v", b.KL, uniform)
	}
}

// lastHeldOutLoss is the last row's test_loss of a prior fit's metrics.csv.
func lastHeldOutLoss(t *testing.T, path string) float64 {
	t.Helper()
	rows := readCSV(t, path)
	col := -1
	if len(rows) >= 2 {
		col = csvColumn(rows[0], "test_loss")
	}
	if col < 0 {
		t.Fatalf("%s: %d rows, no test_loss column", path, len(rows))
	}
	v, err := strconv.ParseFloat(rows[len(rows)-1][col], 64)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestPriorFitOfABinarizedRun: a transformer prior fitted to a VQ run
// trained with --binarize is fitted to the codes of binarized images, as
// the run saw them: its held-out loss is −log p_prior(codes) per cell of
// the test images binarized as `latent eval --binarize` binarizes them
// (its default --seed), not of the grey ones.
func TestPriorFitOfABinarizedRun(t *testing.T) {
	needMNISTAndXLA(t)
	run := trainTinyVQ(t, "--binarize")
	genMustRun(t, "prior", "fit", "--run", run, "--kind", "transformer", "--steps", "20", "--width", "16", "--layers", "1", "--heads", "2", "--ema", "0")
	held := lastHeldOutLoss(t, filepath.Join(run, "priors", "transformer", "metrics.csv"))
	perCell := func(args ...string) float64 {
		code, stdout, stderr := runLatent(t, nil, append([]string{"eval", "--run", run, "--iw", "0", "--json"}, args...)...)
		var b struct {
			PriorBound *struct {
				CodesNLL float64 `json:"codes_nll"`
			} `json:"prior_bound"`
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &b) != nil || b.PriorBound == nil {
			t.Fatalf("latent eval %v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		return b.PriorBound.CodesNLL / 49
	}
	binarized, grey := perCell("--binarize"), perCell()
	if !(math.Abs(binarized-held) <= 1e-4*held) {
		t.Errorf("the fit's held-out loss %v is not −log p(codes) per cell of the binarized test images, %v (grey ones': %v)", held, binarized, grey)
	}
	if !(math.Abs(grey-binarized) > 1e-3*binarized) {
		t.Errorf("grey and binarized test images' codes cost alike (%v, %v): the test cannot tell them apart", grey, binarized)
	}
}

// TestScoreSkipsAnUnusablePrior: `latent score` on a VQ run whose
// transformer prior this latent cannot open (saved with the old attention
// layout) scores the other rows and says in one line which prior it
// skipped and why, and its JSON carries the prior with the reason and no
// row; named with --prior, the prior is refused (exit 1), naming its file,
// and so is `latent prior score --kind transformer`.
func TestScoreSkipsAnUnusablePrior(t *testing.T) {
	needMNISTAndXLA(t)
	run := trainTinyVQ(t)
	genMustRun(t, "prior", "fit", "--run", run, "--kind", "transformer", "--steps", "20", "--width", "16", "--layers", "1", "--heads", "2")
	path := testrun.AddVariable(t, prior.Dir(run, prior.KindTransformer), testrun.OldAttentionScope, "weights", []float32{1, 2})

	code, stdout, stderr := runLatent(t, nil, "score", "--run", run, "-n", "64")
	var skipped []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, path) {
			skipped = append(skipped, line)
		}
	}
	if code != 0 || len(skipped) != 1 || !strings.HasPrefix(skipped[0], "samples: transformer") || !strings.Contains(skipped[0], "fit it again") ||
		!strings.Contains(stdout, "samples: uniform") || !strings.Contains(stdout, "perfect prior") {
		t.Errorf("latent score: exit %d, lines naming %s: %q; want exit 0, the other rows and one line saying the transformer was skipped and to fit it again\n%s\n%s",
			code, path, skipped, stdout, stderr)
	}

	code, stdout, stderr = runLatent(t, nil, "score", "--run", run, "-n", "64", "--json")
	var rep vae.Report
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("latent score --json: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rows []string
	for _, r := range rep.Rows {
		rows = append(rows, r.Name)
	}
	if want := []string{"samples: uniform", "perfect prior", "reconstructions", "training split"}; !slices.Equal(rows, want) ||
		len(rep.Skipped) != 1 || rep.Skipped[0].Prior != "transformer" || !strings.Contains(rep.Skipped[0].Reason, path) {
		t.Errorf("latent score --json: rows %q, skipped %+v; want rows %q and the transformer skipped naming %s", rows, rep.Skipped, want, path)
	}

	for _, args := range [][]string{{"score", "--run", run, "-n", "64", "--prior", "transformer"}, {"prior", "score", "--run", run, "--kind", "transformer"}} {
		if code, _, stderr := runLatent(t, nil, args...); code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, "fit it again") {
			t.Errorf("latent %s: exit %d\n%s\nwant exit 1 naming %s and saying to fit it again", strings.Join(args, " "), code, stderr, path)
		}
	}
}

// trainTinyVQ trains a VQ run of 16 codes for 6 steps on 320 MNIST images
// (64 test images), with extra flags, and returns its folder.
func trainTinyVQ(t *testing.T, extra ...string) string {
	t.Helper()
	run := filepath.Join(t.TempDir(), "run")
	args := append([]string{"train", "--out", run, "--model", "vq", "--codebook", "16",
		"--train-limit", "320", "--test-limit", "64", "--eval-batch", "64", "--widths", "8,16", "--latent", "4",
		"--batch-size", "32", "--steps", "6", "--quiet"}, extra...)
	if code, _, errOut := runLatent(t, nil, args...); code != 0 {
		t.Fatalf("training a VQ run: exit %d\n%s", code, errOut)
	}
	return run
}
