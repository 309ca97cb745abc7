package main

import (
	"bytes"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/rundir"
)

// TestOutputToStdout checks -o -: the image's bytes on stdout, the summary
// on stderr.
func TestOutputToStdout(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	code, stdout, stderr := genLatent("sample", "--run", runDir, "-n", "4", "--scale", "1", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	img, err := png.Decode(strings.NewReader(stdout))
	if err != nil {
		t.Fatalf("stdout is not a PNG: %v", err)
	}
	if got, want := img.Bounds().Size(), genGridSize(2, 2, 1); got != want {
		t.Errorf("PNG on stdout is %v, want %v", got, want)
	}
	if !strings.Contains(stderr, "wrote stdout: 4 samples") {
		t.Errorf("stderr %q: want the summary there", stderr)
	}
	code, stdout, stderr = genLatent("interpolate", "--run", runDir, "--frames", "3", "--scale", "1", "-o", "-")
	if code != 0 {
		t.Fatalf("interpolate: exit %d: %s", code, stderr)
	}
	if g, err := gif.DecodeAll(strings.NewReader(stdout)); err != nil || len(g.Image) != 3 {
		t.Errorf("interpolate -o -: stdout is not a GIF of 3 frames (%v)", err)
	}
}

// TestPlotFormats checks that `latent plot` writes the format of -o's
// extension, and PNG bytes to stdout for -o -.
func TestPlotFormats(t *testing.T) {
	dir := t.TempDir()
	evWriteFile(t, filepath.Join(dir, rundir.MetricsFile), metricsHeader()+"50,0.1,200,180,20,190,170,20,900,1.5\n")
	out := t.TempDir()
	for ext, magic := range map[string]string{"png": "\x89PNG", "svg": "<?xml", "pdf": "%PDF-", "PDF": "%PDF-"} {
		path := filepath.Join(out, "curves."+ext)
		if code, _, stderr := evLatent("plot", "--run", dir, "-o", path); code != 0 {
			t.Fatalf("-o %s: exit %d: %s", path, code, stderr)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, []byte(magic)) {
			t.Errorf("-o %s: %.8q (%v), want %q first", path, b, err, magic)
		}
	}
	code, stdout, stderr := evLatent("plot", "--run", dir, "-o", "-")
	if _, err := png.Decode(strings.NewReader(stdout)); code != 0 || err != nil {
		t.Errorf("-o -: exit %d, stdout not a PNG (%v); stderr %q", code, err, stderr)
	}
	if !strings.Contains(stderr, "wrote stdout") {
		t.Errorf("-o -: stderr %q, want the summary", stderr)
	}
	bmp := filepath.Join(out, "curves.bmp")
	evMustFail(t, "-o "+bmp+": unknown extension .bmp; want .png, .svg or .pdf", bmp, "plot", "--run", dir, "-o", bmp)
}

// TestQuiet checks --quiet: no backend or run lines on stderr, the result
// still on stdout, and errors still on stderr.
func TestQuiet(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	path := filepath.Join(t.TempDir(), "s.png")
	_, _, loud := genLatent("sample", "--run", runDir, "-n", "4", "-o", path)
	if !strings.Contains(loud, "backend:") {
		t.Fatalf("without --quiet, stderr %q: want the backend line", loud)
	}
	code, stdout, stderr := genLatent("sample", "--run", runDir, "-n", "4", "-o", path, "--quiet")
	if code != 0 || stderr != "" || !strings.Contains(stdout, "wrote "+path) {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q; want success, the summary, nothing on stderr", code, stdout, stderr)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	code, _, stderr = genLatent("sample", "--quiet", "--run", missing, "-o", path)
	if code != 1 || !strings.Contains(stderr, "latent sample: --run: not a run folder: "+missing+" does not exist") {
		t.Errorf("--quiet with a missing run: exit %d, stderr %q; want the error", code, stderr)
	}
}

// TestManifold checks `latent map --manifold` on a 2-D latent: a labelled
// n×n grid whose centre decodes z = (0, 0) and whose top middle decodes
// z = (0, +1.645), the 0.95 quantile (z2 falls down the rows), as
// `latent traverse` decodes the same codes.
func TestManifold(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	path := filepath.Join(out, "m.png")
	code, stdout, stderr := genLatent("map", "--run", runDir, "--manifold", "--manifold-n", "5", "--scale", "1", "-o", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "5×5 images decoded") {
		t.Errorf("stdout %q: want the grid described", stdout)
	}
	labelled := readPNG(t, path)
	grid, left, top := genUnlabel(t, labelled, 5, 5)
	genLabelled(t, labelled, 5, 5, left, top)
	if top == 0 {
		t.Error("no z1 labels above the columns")
	}
	// Traverse the zero code by ±1.6449 in 3 steps: cell (row z2, step 1)
	// is z = (0, 0), (row z2, step 2) is z = (0, +1.6449).
	tr := filepath.Join(out, "t.png")
	genMustRun(t, "traverse", "--run", runDir, "--seed", "1", "--temperature", "0", "--order", "dim",
		"--steps", "3", "--range", "1.6448536269514722", "--scale", "1", "-o", tr)
	sweep, _, _ := genUnlabel(t, readPNG(t, tr), 2, 3)
	if !genClose(genCell(grid, 2, 2), genCell(sweep, 1, 1)) {
		t.Error("the manifold's centre is not the decoded zero code")
	}
	if !genClose(genCell(grid, 0, 2), genCell(sweep, 1, 2)) {
		t.Error("the manifold's top middle is not z = (0, +1.645)")
	}
	if string(genCell(grid, 0, 0)) == string(genCell(grid, 4, 4)) {
		t.Error("opposite corners decode to the same image")
	}
}
