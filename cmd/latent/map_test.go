package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/plots"
)

func TestMapCommand(t *testing.T) {
	dir := evRun(t)
	out := filepath.Join(t.TempDir(), "map.png")
	code, stdout, stderr := evLatent("map", "--run", dir, "--limit", "100", "-o", out)
	if code != 0 {
		t.Fatalf("latent map: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "100 test images") || !strings.Contains(stdout, "principal components of the 4-D latent") {
		t.Errorf("stdout %q: want 100 test images on principal components of the 4-D latent", stdout)
	}
	if b := readPNG(t, out).Bounds(); b.Dx() != 8*plots.DPI {
		t.Errorf("%s is %d pixels wide, want %d", out, b.Dx(), 8*plots.DPI)
	}
	svg := filepath.Join(t.TempDir(), "map.svg")
	if code, stdout, stderr := evLatent("map", "--run", dir, "--limit", "100", "-o", svg); code != 0 || !strings.Contains(stdout, "wrote "+svg) {
		t.Fatalf("latent map -o %s: exit %d: %s", svg, code, stderr)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<?xml")) || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("%s is not SVG (%v)", svg, err)
	}
	manifold := filepath.Join(t.TempDir(), "manifold.png")
	evMustFail(t, "--manifold: the run's latent has 4 dimensions, want 2", manifold, "map", "--run", dir, "--manifold", "-o", manifold)
	out2 := filepath.Join(t.TempDir(), "map.png")
	evMustFail(t, "at least 2 test images", out2, "map", "--run", dir, "--limit", "1", "-o", out2)
	missing := filepath.Join(t.TempDir(), "nope")
	evMustFail(t, missing, out2, "map", "--run", missing, "-o", out2)
}

// TestLatentMap checks the 2-D placement: a 2-D latent as it is, a 1-D one
// along x, and higher ones on principal components, the first with the
// larger spread.
func TestLatentMap(t *testing.T) {
	two := []float32{1, 2, 3, 4, 5, 6}
	m, how, err := latentMap(two, 2)
	if err != nil {
		t.Fatal(err)
	}
	if m.X[1] != 3 || m.Y[2] != 6 || m.XLabel != "z1" || !strings.Contains(how, "as it is") {
		t.Errorf("2-D latent: x %v, y %v, %q: want the codes unchanged", m.X, m.Y, how)
	}
	m, _, err = latentMap([]float32{1, 2, 3}, 1)
	if err != nil || m.X[2] != 3 || m.Y[2] != 0 {
		t.Errorf("1-D latent: x %v, y %v, err %v: want x = z, y = 0", m.X, m.Y, err)
	}
	// 3-D codes spread 10 along (1,1,0)/√2 and 1 along z.
	var three []float32
	for i := range 50 {
		a, b := float32(10*math.Sin(float64(i))), float32(math.Cos(float64(3*i)))
		three = append(three, a/math.Sqrt2, a/math.Sqrt2, b)
	}
	m, how, err = latentMap(three, 3)
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
