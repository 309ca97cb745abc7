package vae

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/latent-vae/latent/plots"
)

// TestLatentMap checks the 2-D placement: a 2-D latent as it is, a 1-D one
// along x, and higher ones on principal components, the first with the
// larger spread.
func TestLatentMap(t *testing.T) {
	two := []float32{1, 2, 3, 4, 5, 6}
	m, how, err := LatentMap(two, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.X[1] != 3 || m.Y[2] != 6 || m.XLabel != "z1" || !strings.Contains(how, "as it is") {
		t.Errorf("2-D latent: x %v, y %v, %q: want the codes unchanged", m.X, m.Y, how)
	}
	m, _, err = LatentMap([]float32{1, 2, 3}, 1)
	if err != nil || m.X[2] != 3 || m.Y[2] != 0 {
		t.Errorf("1-D latent: x %v, y %v, err %v: want x = z, y = 0", m.X, m.Y, err)
	}
	// 3-D codes spread 10 along (1,1,0)/√2 and 1 along z.
	var three []float32
	for i := range 50 {
		a, b := float32(10*math.Sin(float64(i))), float32(math.Cos(float64(3*i)))
		three = append(three, a/math.Sqrt2, a/math.Sqrt2, b)
	}
	m, how, err = LatentMap(three, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !(spread(m.X) >= 5*spread(m.Y)) || !strings.Contains(how, "principal components") || !strings.HasPrefix(m.XLabel, "PC1") {
		t.Errorf("3-D latent: x spread %.2f, y spread %.2f, %q: want PC1 along the big axis", spread(m.X), spread(m.Y), how)
	}
}

func spread(xs []float64) float64 {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi - lo
}

// TestProjectMap: pca is LatentMap's placement, t-SNE names its axes and
// its time on the log, an unknown method is the caller's mistake.
func TestProjectMap(t *testing.T) {
	codes := make([]float32, 0, 3*40)
	for i := range 40 {
		codes = append(codes, float32(i%4), float32(i%7)/3, float32(i%5)*2)
	}
	pca, _, err := ProjectMap(codes, 3, MapPCA, 1, io.Discard)
	want, _, _ := LatentMap(codes, 3)
	if err != nil || pca.X[5] != want.X[5] || pca.XLabel != want.XLabel {
		t.Errorf("pca: %v, x %v, label %q: want LatentMap's", err, pca.X[5], pca.XLabel)
	}
	var log strings.Builder
	m, how, err := ProjectMap(codes, 3, MapTSNE, 2, &log)
	if err != nil || len(m.X) != 40 || m.XLabel != "t-SNE 1" || !strings.Contains(how, "seed 2") || !strings.HasPrefix(log.String(), "tsne of 40 points: ") {
		t.Errorf("tsne: %v, %d points, label %q, how %q, log %q", err, len(m.X), m.XLabel, how, log.String())
	}
	_, _, err = ProjectMap(codes, 3, "mds", 1, io.Discard)
	var arg *ArgError
	if !errors.As(err, &arg) || !strings.Contains(err.Error(), `--method "mds"`) {
		t.Errorf("method mds: %v, want an *ArgError naming --method", err)
	}
}

// TestMapCSV: a header, then index, label, x, y per point.
func TestMapCSV(t *testing.T) {
	m := &plots.Map{X: []float64{0.5, -1}, Y: []float64{2, 1e-10}, Labels: []int{3, 7}}
	got := string(MapCSV(m))
	if want := "index,label,x,y\n0,3,0.5,2\n1,7,-1,1e-10\n"; got != want {
		t.Errorf("MapCSV = %q, want %q", got, want)
	}
}

// TestManifoldRefusesOtherLatents: the grid is over a 2-D latent; the
// tiny run's 4-D one is refused, naming --manifold and the dimensions.
func TestManifoldRefusesOtherLatents(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	_, _, err := s.Manifold(3, 1, "")
	if err == nil || !strings.Contains(err.Error(), "--manifold: the run's latent has 4 dimensions, want 2") {
		t.Errorf("Manifold of the 4-D tiny run: %v, want a refusal naming --manifold", err)
	}
}

// TestMapSplit: the test split's means on principal components, titled
// with the run and labelled by class; a single image is refused, naming
// --data.
func TestMapSplit(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	m, how, err := s.MapSplit(set, set.Test, 8, MapPCA, 1)
	if err != nil || len(m.X) != set.Test.N || len(m.Labels) != set.Test.N || !strings.Contains(how, "principal components of the 4-D") ||
		!strings.Contains(m.Title, "(step 5): latent means of 16 ") {
		t.Fatalf("MapSplit: %v, %d points, %d labels, how %q, title %q", err, len(m.X), len(m.Labels), how, m.Title)
	}
	if _, _, err := s.MapSplit(set, set.Test.Subset(1), 8, MapPCA, 1); err == nil || !strings.Contains(err.Error(), "a map needs at least 2 test images, got 1") {
		t.Errorf("MapSplit of one image: %v", err)
	}
}
