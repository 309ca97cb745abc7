package main

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/vae"
)

// The rough edges a new user met on a second pass (issue 38), each with
// its test.

// TestWhichBeyondClassIsUsage: --which past a class's images is a usage
// error (exit 2) naming the flag and how many images the class has.
func TestWhichBeyondClassIsUsage(t *testing.T) {
	s := &data.Split{Labels: []int{1, 3, 3, 0}, N: 4}
	_, err := vae.PickByLabel(s, []string{"0", "1", "2", "3"}, "--image-label", "3", 5000)
	var u *vae.ArgError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "--which 5000") || !strings.Contains(err.Error(), "holds 2 images") {
		t.Errorf("pickByLabel(3, --which 5000): %v; want a usage error naming --which 5000 and the class's 2 images", err)
	}
	dir := evRun(t)
	code, _, stderr := evLatent("neighbors", "--run", dir, "--image-label", "3", "--which", "5000", "-o", filepath.Join(t.TempDir(), "n.png"))
	if code != 2 || !strings.Contains(stderr, "--which 5000") {
		t.Errorf("neighbors --image-label 3 --which 5000: exit %d, stderr %q; want exit 2 naming --which 5000", code, stderr)
	}
}

// TestScoreKIDScale: the score table labels its KID column with the scale
// it prints (KID as is, ×1) and says it is not the ×10³ of papers.
func TestScoreKIDScale(t *testing.T) {
	rep := vae.Report{Run: "runs/x", Classes: []string{"0", "1"}, Reference: 10,
		Rows: []vae.Row{{Name: "samples: normal", N: 10, FID: 12.5, KID: 23.08, KIDStd: 1.5, Shares: []float64{0.5, 0.5}}}}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	header := ""
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "FID") && strings.Contains(line, "precision") {
			header = line
		}
	}
	if !strings.Contains(header, "KID×1 ") || !strings.Contains(buf.String(), "not ×10³") || !strings.Contains(buf.String(), " 23.0800 ") {
		t.Errorf("score table: want a KID×1 column holding 23.0800 and a line saying it is not ×10³:\n%s", buf.String())
	}
}

// TestAnomalyGridCaptions: anomaly -k 8 draws a 4×2 grid, each image
// captioned with its index, label and score as reconstruct --numbers does.
func TestAnomalyGridCaptions(t *testing.T) {
	dir := evRun(t)
	out := filepath.Join(t.TempDir(), "worst8.png")
	code, _, stderr := evLatent("anomaly", "--run", dir, "--limit", "60", "-k", "8", "-o", out, "--csv", filepath.Join(t.TempDir(), "a.csv"))
	if code != 0 {
		t.Fatalf("anomaly -k 8: exit %d, %s", code, stderr)
	}
	img := readPNG(t, out)
	b := img.Bounds()
	if b.Dx() != 4*84+3 || b.Dy() < 2*(84+13) {
		t.Errorf("%s is %dx%d: want 4 columns of 84-pixel cells and 2 rows, each under a band of captions", out, b.Dx(), b.Dy())
	}
	dark := 0 // the caption text's pixels in the first band
	for y := range 13 {
		for x := range b.Dx() {
			if g := color.GrayModel.Convert(img.At(x, y)).(color.Gray); g.Y < 100 {
				dark++
			}
		}
	}
	if dark < 50 {
		t.Errorf("%s: %d dark pixels above the first row, want captions (index:label score)", out, dark)
	}
}

// TestReconstructPicksAcrossClasses: reconstruct -n takes the first image
// of each class in turn, as data -o does, so that a test split sorted by
// class shows every class; --first takes the first n.
func TestReconstructPicksAcrossClasses(t *testing.T) {
	sorted := &data.Split{Labels: []int{0, 0, 0, 1, 1, 1, 2, 2, 2}, N: 9}
	if got, want := vae.ReconPick(sorted, 4, false), []int{0, 3, 6, 1}; !slices.Equal(got, want) {
		t.Errorf("vae.ReconPick(sorted by class, 4) = %v, want %v", got, want)
	}
	if got, want := vae.ReconPick(sorted, 4, true), []int{0, 1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("reconPick(--first, 4) = %v, want %v", got, want)
	}
	dir := evRun(t)
	test := testenv.MNIST(t).Test.Subset(200) // the run's test split
	out := filepath.Join(t.TempDir(), "r.png")
	code, stdout, stderr := evLatent("reconstruct", "--run", dir, "-n", "10", "--scale", "1", "-o", out)
	if code != 0 || !strings.Contains(stdout, "the first of each class in turn") {
		t.Fatalf("reconstruct -n 10: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	img := readPNG(t, out)
	left := img.Bounds().Dx() - (10*28 + 9) // the band of row labels
	for c := range 10 {
		i := nthOfLabel(test, c, 0)
		if !evSame(evCell(shiftedX{img, left}, 0, c, 28, 28, 1), test.Image(i)) {
			t.Errorf("reconstruct -n 10: top cell %d is not test image %d, the first of class %d", c, i, c)
		}
	}
}

// shiftedX is an image read dx pixels to the right.
type shiftedX struct {
	image.Image
	dx int
}

func (s shiftedX) At(x, y int) color.Color { return s.Image.At(x+s.dx, y) }

// TestEvalNamesTighter: the default eval (a quick K) ends its table with
// the command of the K = 1000 bound and its time on this machine
// (vae.MiddleLimit's test checks the --limit middle way of a long one).
func TestEvalNamesTighter(t *testing.T) {
	dir := evRun(t)
	code, stdout, stderr := evLatent("eval", "--run", dir, "--limit", "30")
	if code != 0 {
		t.Fatalf("eval: exit %d, %s", code, stderr)
	}
	want := regexp.MustCompile(`(?m)^tighter +latent eval --run ` + regexp.QuoteMeta(dir) +
		` --limit 30 --iw 1000: about [0-9hms.]+ on this machine \(estimated on one batch\)`)
	if !want.MatchString(stdout) {
		t.Errorf("eval's table:\n%s\nwant a last row naming the K=1000 command and its time", stdout)
	}
}

// TestREADMENumbersNameCPU: the README's paragraph of `make demo`'s FIDs
// names the CPU they were measured on and the spread to expect on another.
func TestREADMENumbersNameCPU(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var para string
	for _, p := range strings.Split(string(text), "\n\n") {
		if strings.Contains(p, "make demo`'s run") && strings.Contains(p, "FID") {
			para = strings.Join(strings.Fields(p), " ")
		}
	}
	switch {
	case para == "":
		t.Fatal("README.md has no paragraph of make demo's FIDs")
	case !regexp.MustCompile(`measured on an? [^.;]*(EPYC|Xeon|Zen|Ryzen|Core i\d|Apple M\d)`).MatchString(para):
		t.Errorf("README.md's numbers do not say the CPU they were measured on:\n%s", para)
	case !regexp.MustCompile(`expect these within about \d+ ?%`).MatchString(para):
		t.Errorf("README.md's numbers do not say the spread to expect on another CPU:\n%s", para)
	}
}

// TestScoreNamesNoNormalWhenScored: scoring every prior (N(0, I) among
// them) names no `--prior normal for N(0, I)` beside a fitted prior, as
// scoring that prior alone does.
func TestScoreNamesNoNormalWhenScored(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	runDir, _ := genTestRun(t, 1)
	feat := scoreFeatureNet(t, runDir)
	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
	const hint = "--prior normal for N(0, I)"
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--prior", "gmm"}, true}} {
		args := append([]string{"score", "--run", runDir, "--features", feat, "-n", "20"}, c.args...)
		code, _, stderr := genLatent(args...)
		if code != 0 || !strings.Contains(stderr, "prior: gmm") || strings.Contains(stderr, hint) != c.want {
			t.Errorf("latent %s: exit %d, stderr %q; want the gmm prior named, %q shown: %v", strings.Join(args, " "), code, stderr, hint, c.want)
		}
	}
}
