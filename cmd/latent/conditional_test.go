package main

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/rundir"
)

// TestConditionalMNIST trains a conditional model (a 2-D latent, which
// leaves the class to the label) on a slice of real MNIST
// through the CLI and checks, as a user meets it, that `sample --label L`
// draws digits that a nearest-class-mean classifier, fitted on real test
// images, calls L far more often than chance (1 in 10); that the commands
// built on the encoder take the images' labels; and that a conditional run
// asks for --label where it needs one.
func TestConditionalMNIST(t *testing.T) {
	set := testenv.MNIST(t)
	genSkipWithoutXLA(t)
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	genMustRun(t, "train", "--out", runDir, "--conditional", "--steps", "500", "--batch-size", "64",
		"--train-limit", "8000", "--test-limit", "200", "--latent", "2", "--quiet")
	means := classMeans(set.Test.Subset(2000))
	for _, label := range []int{3, 7} {
		out := filepath.Join(dir, fmt.Sprintf("s%d.png", label))
		genMustRun(t, "sample", "--run", runDir, "--label", fmt.Sprint(label), "-n", "25", "--scale", "1", "-o", out)
		cells := gridCells(readPNG(t, out), 25, 28, 28)
		hits := 0
		for _, c := range cells {
			if nearestClass(c, means) == label {
				hits++
			}
		}
		t.Logf("sample --label %d: %d of %d classified as %d by the nearest class mean", label, hits, len(cells), label)
		if 2*hits < len(cells) {
			t.Errorf("sample --label %d: only %d of %d samples are nearest the mean %d, want at least half (chance: 1 in 10)", label, hits, len(cells), label)
		}
	}
	code, stdout, stderr := genLatent("eval", "--run", runDir, "--iw", "10", "--limit", "100")
	if code != 0 || !strings.Contains(stdout, "conditional") || !strings.Contains(stdout, "−log p(x|y)") {
		t.Errorf("eval of a conditional run: exit %d, output %q %q; want numbers labelled as −log p(x|y)", code, stdout, stderr)
	}
	byClass := filepath.Join(dir, "classes.png")
	genMustRun(t, "sample", "--run", runDir, "--scale", "1", "-o", byClass) // one row per class by default
	if h, want := readPNG(t, byClass).Bounds().Dy(), 10*28+9; h != want {
		t.Errorf("sample of a conditional run: %d pixels high, want one row per class (%d)", h, want)
	}
	genMustRun(t, "interpolate", "--run", runDir, "--label", "3", "-o", filepath.Join(dir, "threes.gif"))
	genMustRun(t, "traverse", "--run", runDir, "--label", "5", "--seed", "2", "-o", filepath.Join(dir, "t.png"))
	genMustRun(t, "map", "--run", runDir, "--manifold", "--manifold-n", "4", "--label", "4", "-o", filepath.Join(dir, "m.png"))
	checkLabelUse(t, runDir, set.Test.Subset(200))
	empty := t.TempDir()
	genMustFail(t, empty, "give --label", "interpolate", "--run", runDir, "-o", filepath.Join(empty, "i.gif"))
	genMustFail(t, empty, "give --label", "map", "--run", runDir, "--manifold", "-o", filepath.Join(empty, "m.png"))
	genMustFail(t, empty, "not one of the run's 10 classes", "sample", "--run", runDir, "--label", "12", "-o", filepath.Join(empty, "s.png"))
	plain, _ := genTestRun(t, 1)
	genMustFail(t, empty, "is not conditional", "sample", "--run", plain, "--label", "3", "-o", filepath.Join(empty, "s.png"))
}

// checkLabelUse runs the commands that encode test images on an IDX copy
// of test (the run's test split), once with the images' own labels and
// once with each label moved to the next class. Those that give each image
// its label (reconstruct, interpolate --from-index, traverse from a test
// image, the map, eval) must give other results when the labels are wrong;
// anomaly, whose score needs no label, the same scores.
func checkLabelUse(t *testing.T, runDir string, test *data.Split) {
	t.Helper()
	folder := t.TempDir()
	h, w := test.Height, test.Width
	testrun.WriteIDX(t, filepath.Join(folder, "train-images-idx3-ubyte"), test.Pixels[:10*h*w], 10, h, w) // a token training split
	testrun.WriteIDX(t, filepath.Join(folder, "train-labels-idx1-ubyte"), labelBytes(test.Labels[:10], 0), 10)
	testrun.WriteIDX(t, filepath.Join(folder, "t10k-images-idx3-ubyte"), test.Pixels, test.N, h, w)
	outputs := func(shift int) map[string]string {
		testrun.WriteIDX(t, filepath.Join(folder, "t10k-labels-idx1-ubyte"), labelBytes(test.Labels, shift), test.N)
		out := t.TempDir()
		common := []string{"--run", runDir, "--data", folder}
		files := map[string]string{"reconstruct": "r.png", "interpolate": "i.gif", "traverse": "t.png", "map": "m.svg", "anomaly": "a.csv"}
		genMustRun(t, append([]string{"reconstruct", "-n", "8", "-o", filepath.Join(out, files["reconstruct"])}, common...)...)
		genMustRun(t, append([]string{"interpolate", "--from-index", "0", "--to-index", "1", "-o", filepath.Join(out, files["interpolate"])}, common...)...)
		genMustRun(t, append([]string{"traverse", "--index", "0", "-o", filepath.Join(out, files["traverse"])}, common...)...)
		genMustRun(t, append([]string{"map", "-o", filepath.Join(out, files["map"])}, common...)...)
		genMustRun(t, append([]string{"anomaly", "--limit", "50", "-k", "4", "--csv", filepath.Join(out, files["anomaly"]), "-o", filepath.Join(out, "a.png")}, common...)...)
		got := map[string]string{}
		for cmd, f := range files {
			got[cmd] = string(mustRead(t, filepath.Join(out, f)))
		}
		got["map"] = svgPositions(got["map"]) // the map's colours are the labels: compare where the points are
		code, stdout, stderr := genLatent(append([]string{"eval", "--iw", "0", "--limit", "100", "--json"}, common...)...)
		if code != 0 {
			t.Fatalf("latent eval --data %s: exit %d: %s", folder, code, stderr)
		}
		got["eval"] = stdout
		return got
	}
	right, wrong := outputs(0), outputs(1)
	for _, cmd := range []string{"reconstruct", "interpolate", "traverse", "map", "eval"} {
		if right[cmd] == wrong[cmd] {
			t.Errorf("%s: the same output with every test image's label wrong: it does not use the images' labels", cmd)
		}
	}
	scores := func(csv string) (labels, scores []string) {
		for _, line := range strings.Split(strings.TrimSpace(csv), "\n")[1:] {
			f := strings.Split(line, ",")
			labels, scores = append(labels, f[1]), append(scores, f[2])
		}
		return labels, scores
	}
	rightLabels, rightScores := scores(right["anomaly"])
	wrongLabels, wrongScores := scores(wrong["anomaly"])
	if len(rightScores) != 50 || !slices.Equal(rightScores, wrongScores) || slices.Equal(rightLabels, wrongLabels) {
		t.Errorf("anomaly: %d scores; with every label wrong, scores equal %v, labels equal %v: want 50 scores, equal, under other labels",
			len(rightScores), slices.Equal(rightScores, wrongScores), slices.Equal(rightLabels, wrongLabels))
	}
}

// labelBytes is labels, each moved shift classes on (modulo 10), as bytes.
func labelBytes(labels []int, shift int) []byte {
	out := make([]byte, len(labels))
	for i, l := range labels {
		out[i] = byte((l + shift) % 10)
	}
	return out
}

// svgPositions is the numbers of an SVG file, sorted, with its colours
// left out: the same for two maps whose points lie in the same places,
// however they are coloured.
func svgPositions(svg string) string {
	nums := svgNumber.FindAllString(svgColour.ReplaceAllString(svg, ""), -1)
	slices.Sort(nums)
	return strings.Join(nums, " ")
}

var (
	svgColour = regexp.MustCompile(`rgba?\([^)]*\)|#[0-9a-fA-F]{3,8}\b`)
	svgNumber = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?`)
)

// classMeans returns the mean image of each of the split's 10 labels.
func classMeans(s *data.Split) [][]float64 {
	size := s.ImageSize()
	means, counts := make([][]float64, 10), make([]int, 10)
	for c := range means {
		means[c] = make([]float64, size)
	}
	for i := range s.N {
		l := s.Labels[i]
		for j, v := range s.Image(i) {
			means[l][j] += float64(v)
		}
		counts[l]++
	}
	for c := range means {
		for j := range means[c] {
			means[c][j] /= float64(max(counts[c], 1))
		}
	}
	return means
}

// nearestClass is the class whose mean image is nearest img's.
func nearestClass(img []float64, means [][]float64) int {
	best, bestD := 0, math.Inf(1)
	for c, m := range means {
		d := 0.0
		for j, v := range img {
			d += (v - m[j]) * (v - m[j])
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// gridCells cuts the first n h×w cells out of a grey grid drawn at scale 1
// with 1-pixel separators, as square as n allows (generate.Grid).
func gridCells(img image.Image, n, h, w int) [][]float64 {
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	cells := make([][]float64, n)
	for i := range cells {
		x0, y0 := (i%cols)*(w+1), (i/cols)*(h+1)
		for y := range h {
			for x := range w {
				r, _, _, _ := img.At(x0+x, y0+y).RGBA()
				cells[i] = append(cells[i], float64(r)/0xffff)
			}
		}
	}
	return cells
}

// TestConditionalFolder: a conditional run on an image folder takes its
// classes from the subfolders, records their names in config.json, and
// --label takes a name (or refuses one it does not know, listing them); a
// folder with one class cannot train a conditional model.
func TestConditionalFolder(t *testing.T) {
	genSkipWithoutXLA(t)
	dir := t.TempDir()
	folder := filepath.Join(dir, "images")
	for c, class := range []string{"dark", "light"} {
		for i := range 24 {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for p := range img.Pix {
				img.Pix[p] = uint8(c*160 + (i*7+p)%90)
			}
			if err := os.MkdirAll(filepath.Join(folder, class), 0o755); err != nil {
				t.Fatal(err)
			}
			writePNGFile(t, filepath.Join(folder, class, fmt.Sprintf("%02d.png", i)), img)
		}
	}
	runDir := filepath.Join(dir, "run")
	genMustRun(t, "train", "--data", folder, "--out", runDir, "--conditional", "--steps", "20", "--batch-size", "8",
		"--widths", "4,8", "--latent", "2", "--hidden", "8", "--quiet")
	cfg, err := rundir.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Classes != 2 || !slices.Equal(cfg.Classes, []string{"dark", "light"}) {
		t.Errorf("config.json: %d classes named %v, want 2: dark, light", cfg.Model.Classes, cfg.Classes)
	}
	genMustRun(t, "sample", "--run", runDir, "--label", "light", "-n", "4", "-o", filepath.Join(dir, "light.png"))
	empty := t.TempDir()
	genMustFail(t, empty, "dark, light", "sample", "--run", runDir, "--label", "cat", "-o", filepath.Join(empty, "s.png"))
	one := filepath.Join(dir, "one")
	for i := range 12 {
		if err := os.MkdirAll(filepath.Join(one, "only"), 0o755); err != nil {
			t.Fatal(err)
		}
		writePNGFile(t, filepath.Join(one, "only", fmt.Sprintf("%02d.png", i)), image.NewGray(image.Rect(0, 0, 8, 8)))
	}
	genMustFail(t, empty, "at least 2 classes", "train", "--data", one, "--out", filepath.Join(empty, "run"), "--conditional", "--steps", "2")
}
