package vae

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
)

// fitTinyTransformer fits a small transformer prior to the session's run
// (FitRunPrior), as `latent prior fit --kind transformer --steps 20
// --width 16 --layers 1 --heads 2` would.
func fitTinyTransformer(t *testing.T, s *Session) {
	t.Helper()
	recipe, cfg := tinyTransformerFit(t)
	if _, _, err := s.FitRunPrior(recipe, cfg, nil); err != nil {
		t.Fatalf("fitting a transformer prior: %v", err)
	}
}

// tinyTransformerFit is a small transformer prior's recipe and config.
func tinyTransformerFit(t *testing.T) (prior.Recipe, prior.Config) {
	t.Helper()
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	recipe := prior.DefineFitFlags(fs).Recipes[prior.KindTransformer]
	if err := fs.Parse([]string{"-steps", "20", "-width", "16", "-layers", "1", "-heads", "2"}); err != nil {
		t.Fatal(err)
	}
	k, _ := prior.Lookup(prior.KindTransformer)
	return recipe, prior.Config{Kind: prior.KindTransformer, Draws: k.Draws, DrawTemperature: 1, Seed: 1}
}

// evaluateVQ evaluates the session's run on its test split, as `latent
// eval --iw 0` does, counting the passes that encode the test images.
func evaluateVQ(t *testing.T, s *Session) (Evaluation, int) {
	t.Helper()
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	model, err := s.EvalModel(64)
	if err != nil {
		t.Fatal(err)
	}
	encodes := 0
	model.Progress = func(phase string, done, _ int) {
		if phase == "encode" && done == 0 {
			encodes++
		}
	}
	out, _, err := s.Evaluate(set.Name, set.Test, EvalOptions{Batch: 64, Chunk: 1, Seed: 1})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return out, encodes
}

// TestEvaluateVQEncodesOnce: `latent eval` on a vq run with a fitted
// transformer prior encodes the test images once, for the code usage and
// the prior's bound alike, and the bound is of those codes.
func TestEvaluateVQEncodesOnce(t *testing.T) {
	s := open(t, tinyVQRun(t, models.QuantizerVQ), io.Discard)
	fitTinyTransformer(t, s)
	out, encodes := evaluateVQ(t, s)
	if out.PriorBound == nil || out.PriorBound.Prior != prior.KindTransformer {
		t.Fatalf("the bound with the fitted prior: %+v, want the transformer's", out.PriorBound)
	}
	if encodes != 1 {
		t.Errorf("the test images were encoded %d times, want once", encodes)
	}
	set, _ := s.TestSet("")
	m, _ := s.EvalModel(64)
	codes, err := m.Codes(set.Test.Images(), set.Test.Labels, 1, 1, 1)
	if err != nil || !slices.Equal(out.Codes, codes) {
		t.Fatalf("the evaluation's codes are not the test images' codes (%v)", err)
	}
	logp, _, err := s.PriorLogProb(prior.KindTransformer, codes, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nll float64
	for _, l := range logp {
		nll -= l
	}
	if want := nll / float64(len(logp)); out.PriorBound.CodesNLL != want {
		t.Errorf("the bound's −log p(codes) %v, want %v, the prior's of the test images' codes", out.PriorBound.CodesNLL, want)
	}
}

// TestPriorCodesOfABinarizedRun: a prior fitted to a run trained on
// binarized images is fitted to the codes of binarized images, as the
// run saw them: the training split binarized with the run's seed, the
// held-out test split with rundir.TestBinarizeSeed (as the run's test
// columns and `latent eval --binarize` binarize it), not of grey ones.
func TestPriorCodesOfABinarizedRun(t *testing.T) {
	runDir := tinyVQRun(t, models.QuantizerVQ)
	s := open(t, runDir, io.Discard)
	s.Run.Config.Data.Binarize = true
	s.Run.Config.Seed = 7
	recipe, cfg := tinyTransformerFit(t)
	w, err := prior.Begin(runDir, cfg.Kind, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Release()
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		t.Fatal(err)
	}
	origin.Stamp(&cfg)
	training, heldOut, err := s.PriorCodes(cfg, w, recipe)
	if err != nil {
		t.Fatal(err)
	}
	set, err := s.DataSet("", "data set")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.EvalModel(64)
	if err != nil {
		t.Fatal(err)
	}
	codesOf := func(images []float32, labels []int) []float64 {
		z, err := m.Codes(images, labels, 1, cfg.Seed, cfg.DrawTemperature)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, len(z))
		for i, v := range z {
			out[i] = float64(v)
		}
		return out
	}
	tests := []struct {
		name  string
		got   []float64
		split *data.Split
		seed  int64
	}{
		{"training split", training.Z, set.Train, 7},
		{"held-out test split", heldOut.Z, set.Test, 1},
	}
	for _, tc := range tests {
		binarized := codesOf(data.Binarize(tc.split.Images(), tc.seed), tc.split.Labels)
		grey := codesOf(tc.split.Images(), tc.split.Labels)
		if slices.Equal(binarized, grey) {
			t.Fatalf("%s: the binarized images' codes equal the grey ones': the test cannot tell them apart", tc.name)
		}
		if !slices.Equal(tc.got, binarized) {
			t.Errorf("%s: the fit's codes are not those of the images binarized with seed %d (grey ones' %v)", tc.name, tc.seed, slices.Equal(tc.got, grey))
		}
	}
}

// TestOldLayoutTransformerPrior: a transformer prior saved with the old
// attention layout is skipped by --prior auto: eval says so in one line
// naming the prior's file and that it must be fitted again, and gives the
// uniform prior's bound alone; prior list shows it unusable, not picked;
// named with --prior it is refused with the same advice. score with
// --prior all scores the uniform prior and skips it, saying why, as serve
// does; named, score and prior score refuse it, the latter storing
// nothing.
func TestOldLayoutTransformerPrior(t *testing.T) {
	runDir := tinyVQRun(t, models.QuantizerVQ)
	var log bytes.Buffer
	s := open(t, runDir, &log)
	fitTinyTransformer(t, s)
	path := testrun.AddVariable(t, prior.Dir(runDir, prior.KindTransformer), testrun.OldAttentionScope, "weights", []float32{1, 2})

	log.Reset()
	out, _ := evaluateVQ(t, s)
	if out.PriorBound != nil {
		t.Errorf("eval with an old-layout prior: bound %+v, want the uniform prior's alone", out.PriorBound)
	}
	var warned []string
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, path) {
			warned = append(warned, line)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "fit it again") {
		t.Errorf("eval's log %q: want one line naming %s and saying to fit it again", log.String(), path)
	}

	_, rows, err := prior.List(s.Run)
	if err != nil || len(rows) != 1 || !rows[0].Unusable || rows[0].AutoPick || !strings.Contains(rows[0].Problem, "fit it again") {
		t.Fatalf("prior list: %v, %+v; want the transformer unusable, not picked, saying to fit it again", err, rows)
	}
	var table, advice strings.Builder
	if err := prior.WriteList(&table, &advice, runDir, prior.Origin{}, rows); err != nil || !strings.Contains(table.String(), "unusable") ||
		!strings.Contains(advice.String(), path) {
		t.Errorf("prior list's table %q and advice %q (%v): want it unusable, naming %s", table.String(), advice.String(), err, path)
	}

	_, _, err = s.Sample(prior.KindTransformer, DefaultPriorSteps, 2, 1, 1, nil)
	var arg *ArgError
	if err == nil || errors.As(err, &arg) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fit it again") {
		t.Errorf("--prior transformer, old layout: %v; want an error naming %s and saying to fit it again", err, path)
	}

	names, skipped, err := s.ScoredPriors(AllPriors)
	if err != nil || !slices.Equal(names, []string{prior.Uniform}) || len(skipped) != 1 || skipped[0].Prior != prior.KindTransformer ||
		!strings.Contains(skipped[0].Reason, path) || !strings.Contains(skipped[0].Reason, "fit it again") {
		t.Errorf("score --prior all: rows %v, skipped %+v, %v; want the uniform prior's row, the transformer skipped naming %s and saying to fit it again",
			names, skipped, err, path)
	}
	if _, _, err := s.ScoredPriors(prior.KindTransformer); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fit it again") {
		t.Errorf("score --prior transformer, old layout: %v; want an error naming %s and saying to fit it again", err, path)
	}
	log.Reset()
	served, samplers, err := s.OpenSamplers(DefaultPriorSteps, 1)
	for _, c := range samplers {
		c.Close()
	}
	if err != nil || !slices.Equal(served, []string{prior.Uniform}) || strings.Count(log.String(), path) != 1 || !strings.Contains(log.String(), "fit it again") {
		t.Errorf("serve's samplers: %v, %v, log %q; want the uniform prior's alone and one line naming %s, saying to fit it again", served, err, log.String(), path)
	}
	stored := func() string {
		b, err := os.ReadFile(filepath.Join(prior.Dir(runDir, prior.KindTransformer), prior.QualityFile))
		return fmt.Sprint(string(b), err)
	}
	before := stored()
	if _, err := s.ScorePrior(prior.KindTransformer); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "fit it again") {
		t.Errorf("prior score --kind transformer, old layout: %v; want an error naming %s and saying to fit it again", err, path)
	}
	if after := stored(); after != before {
		t.Errorf("prior score of an old-layout prior stored %q (was %q); want nothing stored", after, before)
	}
}
