package vae

import (
	"io"
	"math"
	"strings"
	"testing"
)

// TestWriteAnomalyCSV: the most anomalous first, ties by index, four
// decimals.
func TestWriteAnomalyCSV(t *testing.T) {
	var b strings.Builder
	if err := WriteAnomalyCSV(&b, []int{7, 8, 9}, []float64{1.5, 2.25, 1.5}); err != nil {
		t.Fatal(err)
	}
	if want := "index,label,score\n1,8,2.2500\n0,7,1.5000\n2,9,1.5000\n"; b.String() != want {
		t.Errorf("WriteAnomalyCSV = %q, want %q", b.String(), want)
	}
}

// TestScoreAnomalies: a score per test image, finite; an OOD set scored
// beside it with an AUROC in [0, 1].
func TestScoreAnomalies(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.ScoreAnomalies(set.Test, "", 0, 8, 1, 1)
	if err != nil || len(a.Scores) != set.Test.N || a.OOD != nil {
		t.Fatalf("ScoreAnomalies: %v, %d scores for %d images, OOD %v", err, len(a.Scores), set.Test.N, a.OOD)
	}
	for i, v := range a.Scores {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("score %d = %v, want finite", i, v)
		}
	}
	b, err := s.ScoreAnomalies(set.Test, s.Run.Config.Data.Spec, 3, 8, 1, 1)
	if err != nil || len(b.OOD) != 3 || !(b.AUROC >= 0 && b.AUROC <= 1) {
		t.Errorf("with an OOD set: %v, %d OOD scores (want 3), AUROC %v", err, len(b.OOD), b.AUROC)
	}
	img := AnomalyGrid(set, set.Test, a.Scores, MostAnomalous(a.Scores, 4), 1)
	if img.Bounds().Dx() < 2*set.Test.Width {
		t.Errorf("AnomalyGrid of 4: %v wide, want 2 columns", img.Bounds())
	}
}
