package main

import (
	"bytes"
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
