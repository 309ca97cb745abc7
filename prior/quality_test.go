package prior

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoPriors saves a gaussian and a gmm prior of 2-d codes in a new run
// folder and returns it.
func twoPriors(t *testing.T) string {
	t.Helper()
	run := t.TempDir()
	x := mixtureSample(300, 3, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{1, 1}})
	g, err := FitGaussians(Config{Kind: KindGaussian, Latent: 2}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := saveGaussians(Dir(run, KindGaussian), g); err != nil {
		t.Fatal(err)
	}
	m, _, err := FitMixtures(Config{Kind: KindGMM, Latent: 2, Components: 1}, Codes{Z: x}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(Dir(run, KindGMM)); err != nil {
		t.Fatal(err)
	}
	return run
}

// score stores fid as the quality of run's prior of kind.
func score(t *testing.T, run, kind string, fid float64) {
	t.Helper()
	if err := WriteQuality(Dir(run, kind), Quality{FID: fid, Samples: 2000, FitSeconds: 3}); err != nil {
		t.Fatal(err)
	}
}

// TestBestPicksTheLowestStoredFID: auto goes by the stored scores, not the
// kinds' rank (gmm ranks above gaussian); unscored priors come after
// scored ones, by rank; a NaN score is no score.
func TestBestPicksTheLowestStoredFID(t *testing.T) {
	run := twoPriors(t)
	pick := func(want, why string) {
		t.Helper()
		c, err := Best(run, nil)
		if err != nil || c.Kind != want || !strings.Contains(c.Reason, why) {
			t.Errorf("Best: %+v, %v; want %s, saying %q", c, err, want, why)
		}
		if k, err := Resolve(run, Auto); err != nil || k != want {
			t.Errorf("Resolve(auto): %q, %v; want %s", k, err, want)
		}
	}
	pick(KindGMM, "gmm was fitted before latent scored its fits")
	score(t, run, KindGaussian, 9)
	pick(KindGaussian, "FID 9, the best of gaussian 9 measured at fit; unscored, so ranked after: gmm")
	score(t, run, KindGMM, 12)
	pick(KindGaussian, "FID 9, the best of gaussian 9, gmm 12")
	score(t, run, KindGMM, 5)
	pick(KindGMM, "FID 5, the best of gmm 5, gaussian 9")
	if err := WriteQuality(Dir(run, KindGMM), Quality{Unscored: "no feature network"}); err != nil {
		t.Fatal(err)
	}
	pick(KindGaussian, "FID 9, the best of gaussian 9 measured at fit; unscored, so ranked after: gmm")
	for _, q := range []Quality{{FID: math.NaN()}, {FID: math.Inf(1)}, {FID: -1}, {FID: 3, Unscored: "x"}} {
		if q.Scored() {
			t.Errorf("%+v counts as scored", q)
		}
	}
}

// TestQualityOfAnotherFitIsNoScore: a quality file whose checkpoint hash
// is not the prior's (a refit that stored none) is not the prior's score.
func TestQualityOfAnotherFitIsNoScore(t *testing.T) {
	run := twoPriors(t)
	score(t, run, KindGaussian, 9)
	raw, err := os.ReadFile(filepath.Join(Dir(run, KindGaussian), QualityFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(Dir(run, KindGMM), QualityFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Read(run, KindGMM)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := ReadQuality(s); err != nil || q != nil {
		t.Errorf("the gaussian's quality beside the gmm prior: %+v, %v; want none", q, err)
	}
	s, _ = Read(run, KindGaussian)
	if q, err := ReadQuality(s); err != nil || !q.Scored() || q.FID != 9 {
		t.Errorf("the gaussian's own quality: %+v, %v; want FID 9", q, err)
	}
}

// TestBestSkipsAMismatchedPrior: of priors checked against the run, one
// fitted to another code size is never picked, whatever its score.
func TestBestSkipsAMismatchedPrior(t *testing.T) {
	run := twoPriors(t)
	x := mixtureSample(300, 5, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{1, 1}}) // 200 codes of 3
	m, _, err := FitMixtures(Config{Kind: KindGMM, Latent: 3, Components: 1}, Codes{Z: x}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(Dir(run, KindGMM)); err != nil {
		t.Fatal(err)
	}
	score(t, run, KindGMM, 1)
	score(t, run, KindGaussian, 9)
	o := Origin{Dir: run, Latent: 2}
	if c, err := Best(run, &o); err != nil || c.Kind != KindGaussian || strings.Contains(c.Reason, "gmm") {
		t.Errorf("a gaussian of 2-d codes (FID 9), a gmm of 3-d codes (FID 1), a run of 2-d codes: %+v, %v; want the gaussian", c, err)
	}
	o.Latent = 4
	if c, err := Best(run, &o); err != nil || c.Kind != Normal || !strings.Contains(c.Reason, "has a 4-dimensional code") {
		t.Errorf("no prior of the run's 4-d codes: %+v, %v; want normal, saying why", c, err)
	}
}

// TestOrderPutsUnusablePriorsLast: a prior this latent cannot open
// (Entry.Unusable) comes after every prior that can draw, whatever its
// score, and is named by Problem before a mismatch.
func TestOrderPutsUnusablePriorsLast(t *testing.T) {
	unusable := errors.New("p/ckpt.latent: fit it again")
	entries := []Entry{
		{Kind: "old", Rank: 9, Quality: &Quality{FID: 1}, Unusable: unusable},
		{Kind: "unscored", Rank: 1},
		{Kind: "scored", Rank: 2, Quality: &Quality{FID: 30}},
	}
	Order(entries)
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, " ") != "scored unscored old" {
		t.Errorf("Order: %v, want scored unscored old", kinds)
	}
	if err := (Entry{Unusable: unusable, Mismatch: errors.New("other step")}).Problem(); err != unusable {
		t.Errorf("Problem of an unusable, mismatched prior: %v, want %v", err, unusable)
	}
	if err := entries[0].Problem(); err != nil {
		t.Errorf("Problem of a prior that draws: %v", err)
	}
}
