package main

import (
	"image"
	"image/draw"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
)

// genUnlabel returns the grid of rows×cols 8×8 cells at scale 1 at the
// bottom right of a labelled image, moved to the origin, and the size of
// the label bands left of it and above it.
func genUnlabel(t *testing.T, img image.Image, rows, cols int) (grid image.Image, left, top int) {
	t.Helper()
	size, b := genGridSize(rows, cols, 1), img.Bounds()
	left, top = b.Dx()-size.X, b.Dy()-size.Y
	if left < 0 || top < 0 {
		t.Fatalf("image %v is smaller than a grid of %d×%d cells", b, rows, cols)
	}
	g := image.NewGray(image.Rect(0, 0, size.X, size.Y))
	draw.Draw(g, g.Bounds(), img, b.Min.Add(image.Pt(left, top)), draw.Src)
	return g, left, top
}

// genLabelled checks that every row of a labelled grid (cells of 8×8 at
// scale 1) has text left of it, and, when top > 0, every column above it.
func genLabelled(t *testing.T, img image.Image, rows, cols, left, top int) {
	t.Helper()
	if left == 0 {
		t.Error("no label band left of the rows")
	}
	for r := range rows {
		if n := testenv.DarkPixels(img, image.Rect(0, top+r*(genSide+1), left, top+(r+1)*(genSide+1))); n < 10 {
			t.Errorf("row %d: %d dark pixels in its label band, want its label", r, n)
		}
	}
	if top == 0 {
		return
	}
	for c := range cols { // labels of 8-pixel columns alternate over two lines, each up to two columns wide
		x := left + c*(genSide+1)
		if n := testenv.DarkPixels(img, image.Rect(x-genSide, 0, x+2*genSide, top)); n < 10 {
			t.Errorf("column %d: %d dark pixels in its label band, want its label", c, n)
		}
	}
}

func TestTraverse(t *testing.T) {
	runDir, test := genTestRun(t, 1)
	out := t.TempDir()
	const steps = 5 // the middle step, 2, is the base code itself
	tests := []struct {
		name   string
		args   []string
		frames int
	}{
		{"test image 0 base (default)", nil, steps},
		{"seed base, looping GIF", []string{"--seed", "4", "--loop"}, 2*steps - 2},
		{"test image base", []string{"--index", "3", "--range", "1.5"}, steps},
		{"zero base in dimension order", []string{"--seed", "1", "--temperature", "0", "--order", "dim"}, steps},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			png, gifPath := filepath.Join(out, tc.name+".png"), filepath.Join(out, tc.name+".gif")
			args := append([]string{"traverse", "--run", runDir, "--steps", strconv.Itoa(steps), "--scale", "1",
				"-o", png, "--gif", gifPath}, tc.args...)
			genMustRun(t, args...)
			labelled := readPNG(t, png)
			img, left, top := genUnlabel(t, labelled, 2, steps)
			genLabelled(t, labelled, 2, steps, left, top)
			// Both rows pass through the base code at the middle step.
			mid0, mid1 := genCell(img, 0, steps/2), genCell(img, 1, steps/2)
			if string(mid0) != string(mid1) {
				t.Error("the rows' middle cells differ: both should be the base code")
			}
			if string(genCell(img, 0, 0)) == string(genCell(img, 0, steps-1)) {
				t.Error("a row's ends are the same image: the dimension was not swept")
			}
			index := map[string]int{"test image 0 base (default)": 0, "test image base": 3}
			if i, ok := index[tc.name]; ok {
				want := genReconstructed(t, runDir, test, genTestN)[i*genSide*genSide : (i+1)*genSide*genSide]
				if !genClose(mid0, want) {
					t.Errorf("the base is not the encoder mean of test image %d", i)
				}
			}
			g := genReadGIF(t, gifPath)
			if len(g.Image) != tc.frames {
				t.Errorf("%d GIF frames, want %d", len(g.Image), tc.frames)
			}
			// Frame t: each dimension at step t, as a 2×1 grid.
			if got, want := image.Pt(g.Config.Width, g.Config.Height), genGridSize(1, 2, 1); got != want {
				t.Errorf("GIF frames are %v, want %v", got, want)
			}
			if g.Delay[0] != 17 { // the default 6 fps
				t.Errorf("delay %d, want 17", g.Delay[0])
			}
			if string(genCell(g.Image[steps/2], 0, 0)) != string(mid0) {
				t.Error("the GIF's middle frame does not show the base code")
			}
			// The same flags again: the same bytes.
			png2, gif2 := filepath.Join(out, "again.png"), filepath.Join(out, "again.gif")
			genMustRun(t, append([]string{"traverse", "--run", runDir, "--steps", strconv.Itoa(steps), "--scale", "1",
				"-o", png2, "--gif", gif2}, tc.args...)...)
			genSameFiles(t, png, png2)
			genSameFiles(t, gifPath, gif2)
		})
	}
}

// TestTraverseOrdersRowsByKL checks that the rows are ordered by each
// dimension's KL averaged over the test images, measured here apart from
// the command: the first row sweeps the dimension with the larger KL, the
// same row --order dim draws at that dimension's place.
func TestTraverseOrdersRowsByKL(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	kl := genUnitKL(t, runDir)
	top := 0
	if kl[1] > kl[0] {
		top = 1
	}
	out := t.TempDir()
	byKL, byDim := filepath.Join(out, "kl.png"), filepath.Join(out, "dim.png")
	code, stdout, stderr := genLatent("traverse", "--run", runDir, "--steps", "5", "--scale", "1", "-o", byKL)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	genMustRun(t, "traverse", "--run", runDir, "--steps", "5", "--scale", "1", "--order", "dim", "-o", byDim)
	m := regexp.MustCompile(`rows: z(\d) \(KL ([0-9.]+)\), z(\d) \(KL ([0-9.]+)\)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("stdout %q does not list the rows with their KL", stdout)
	}
	if m[1] != strconv.Itoa(top+1) {
		t.Errorf("first row z%s, want z%d: KL %v", m[1], top+1, kl)
	}
	for i, d := range []int{top, 1 - top} {
		got, _ := strconv.ParseFloat(m[2+2*i], 64)
		if !(math.Abs(got-kl[d]) <= 1e-3) {
			t.Errorf("row %d: KL %s, want %.4f", i, m[2+2*i], kl[d])
		}
	}
	a, _, _ := genUnlabel(t, readPNG(t, byKL), 2, 5)
	b, _, _ := genUnlabel(t, readPNG(t, byDim), 2, 5)
	for c := range 5 {
		if string(genCell(a, 0, c)) != string(genCell(b, top, c)) || string(genCell(a, 1, c)) != string(genCell(b, 1-top, c)) {
			t.Fatalf("column %d: the KL order's rows are not the dimension order's rows %d, %d", c, top, 1-top)
		}
	}
}

// genUnitKL measures each latent dimension's KL averaged over the run's
// test images with the evaluation graphs.
func genUnitKL(t *testing.T, runDir string) []float64 {
	t.Helper()
	b := genSkipWithoutXLA(t)
	r, err := rundir.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := r.Config.LoadDataAs("", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := eval.NewModel(b, r.Ctx, r.Config.Model)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Finalize()
	means, logVars, err := m.Encode(set.Test.Images(), nil)
	if err != nil {
		t.Fatal(err)
	}
	kl := make([]float64, 2)
	for i := range set.Test.N {
		for d := range 2 {
			mu, lv := float64(means[2*i+d]), float64(logVars[2*i+d])
			kl[d] += (mu*mu + math.Exp(lv) - lv - 1) / 2 / float64(set.Test.N)
		}
	}
	if !(math.Abs(kl[0]-kl[1]) >= 1e-3) {
		t.Fatalf("KL %v: the dimensions are too close to tell the order", kl)
	}
	return kl
}

func TestTraverseErrors(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	o, g := filepath.Join(out, "t.png"), filepath.Join(out, "t.gif")
	tests := []struct {
		name, want string
		args       []string
	}{
		{"index out of range", "--index 12: out of range", []string{"--index", "12"}},
		{"seed and index", "give one", []string{"--seed", "1", "--index", "0"}},
		{"one step", "--steps 1", []string{"--steps", "1"}},
		{"zero range", "--range 0", []string{"--range", "0"}},
		{"gif folder missing", "does not exist", []string{"--gif", filepath.Join(out, "no", "t.gif")}},
		{"bad run", "not a run folder", []string{"--run", out}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			genMustFail(t, out, tc.want, append([]string{"traverse", "--run", runDir, "-o", o, "--gif", g}, tc.args...)...)
		})
	}
}
