package main

import (
	"encoding/csv"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
)

// evCell returns the grey pixels of cell (row, col) of a generate.Grid
// image of h×w images upscaled by scale, as values in [0,1].
func evCell(img image.Image, row, col, h, w, scale int) []float32 {
	out := make([]float32, 0, h*w)
	x0, y0 := col*(w*scale+1), row*(h*scale+1)
	for y := range h {
		for x := range w {
			g := color.GrayModel.Convert(img.At(x0+x*scale, y0+y*scale)).(color.Gray)
			out = append(out, float32(g.Y)/255)
		}
	}
	return out
}

// shifted is an image read dy pixels lower: its row 0 is the image's row dy.
type shifted struct {
	image.Image
	dy int
}

func (s shifted) At(x, y int) color.Color { return s.Image.At(x, y+s.dy) }

// evSame reports whether two images agree within a grey level.
func evSame(a, b []float32) bool {
	for i := range a {
		if d := a[i] - b[i]; !(d <= 1.0/255+1e-6 && d >= -1.0/255-1e-6) {
			return false
		}
	}
	return len(a) == len(b)
}

func TestAnomalyCommand(t *testing.T) {
	dir := evRun(t)
	set, err := data.Load(data.MNIST, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	worst := filepath.Join(tmp, "worst.png")
	code, stdout, stderr := evLatent("anomaly", "--run", dir, "--limit", "60", "-k", "5", "-o", worst)
	if code != 0 {
		t.Fatalf("latent anomaly: exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil {
		t.Fatalf("stdout is not CSV: %v\n%s", err, stdout)
	}
	if len(rows) != 61 || strings.Join(rows[0], ",") != "index,label,score" {
		t.Fatalf("CSV has %d rows starting %v; want a header index,label,score and 60 rows", len(rows), rows[0])
	}
	best, seen := -1, map[int]bool{}
	last := math.Inf(1)
	for i, r := range rows[1:] {
		idx, _ := strconv.Atoi(r[0])
		label, _ := strconv.Atoi(r[1])
		score, err := strconv.ParseFloat(r[2], 64)
		if idx < 0 || idx >= 60 || seen[idx] || label != set.Test.Labels[idx] || err != nil || !(score > 0) || !(score <= last) {
			t.Fatalf("CSV row %d = %v: want a new index below 60, its label, a positive score at most the row above's (%g)", i+1, r, last)
		}
		if best < 0 {
			best = idx
		}
		seen[idx], last = true, score
	}
	img := readPNG(t, worst)
	b := img.Bounds()
	top := b.Dy() - 84 // the caption band above the one row of 5
	if b.Dx() != 5*84+4 || top < 13 {
		t.Errorf("%s is %dx%d, want a 5×1 grid of 84-pixel cells under a band of captions", worst, b.Dx(), b.Dy())
	}
	if !evSame(evCell(shifted{img, top}, 0, 0, 28, 28, 3), set.Test.Image(best)) {
		t.Errorf("the grid's first cell is not test image %d, the highest score in the CSV", best)
	}
	if !strings.Contains(stderr, "wrote "+worst) {
		t.Errorf("stderr %q: with the CSV on stdout, the summary belongs on stderr", stderr)
	}

	// Inverted digits as the out-of-distribution set, with the CSV to a file.
	ood := evImageFolder(t, 200, 28, 28, true)
	scores := filepath.Join(tmp, "scores.csv")
	code, stdout, stderr = evLatent("anomaly", "--run", dir, "--limit", "60", "--ood", ood, "-o", worst, "--csv", scores)
	if code != 0 {
		t.Fatalf("latent anomaly --ood: exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`AUROC ([0-9.]+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout %q: no AUROC", stdout)
	}
	if auc, _ := strconv.ParseFloat(m[1], 64); !(auc >= 0.9) {
		t.Errorf("AUROC of MNIST against inverted gradients %.4f, want above 0.9", auc)
	}
	if b, err := os.ReadFile(scores); err != nil || strings.Count(string(b), "\n") != 61 {
		t.Errorf("%s: %d lines, err %v; want a header and 60 rows", scores, strings.Count(string(b), "\n"), err)
	}

	// Another image shape: a clear error, and no output files.
	small := evImageFolder(t, 30, 8, 8, false)
	worst2, scores2 := filepath.Join(tmp, "w2.png"), filepath.Join(tmp, "s2.csv")
	evMustFail(t, "--ood "+small+": its images are 8x8x1 (height×width×channels) but the model takes 28x28x1",
		worst2, "anomaly", "--run", dir, "--ood", small, "-o", worst2, "--csv", scores2)
	if _, err := os.Stat(scores2); err == nil {
		t.Errorf("failed anomaly run wrote %s", scores2)
	}
}

func TestAnomalyFlagErrors(t *testing.T) {
	run := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-k", "0"}, "-k 0"},
		{[]string{"--samples", "0"}, "--samples 0"},
		{[]string{"--scale", "0"}, "--scale 0"},
		{nil, "config.json is missing"},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "worst.png")
		evMustFail(t, tt.want, out, append([]string{"anomaly", "--run", run, "-o", out}, tt.args...)...)
	}
}
