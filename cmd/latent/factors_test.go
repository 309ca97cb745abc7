package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latent-vae/latent/rundir"
)

// TestFactorsRefusals: usage errors exit 2 naming the flag; a run whose
// data has no factors is refused in one line naming --data, as is `map
// --color-by` on it.
func TestFactorsRefusals(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"factors"}, 2, "--run: a run folder is required"},
		{[]string{"factors", "--run", runDir, "--train", "1"}, 2, "--train 1: want 2 to"},
		{[]string{"factors", "--run", runDir, "--eval", "0"}, 2, "--eval 0"},
		{[]string{"factors", "--run", runDir, "--vote-batch", "1"}, 2, "--vote-batch 1"},
		{[]string{"factors", "--run", runDir, "-o", filepath.Join(out, "mi.txt")}, 2, "-o"},
		{[]string{"factors", "--run", runDir, "-o", "-", "--json"}, 2, "-o - and --json"},
		{[]string{"factors", "--run", runDir, "--train", "50", "--eval", "20"}, 1, "has no factors"},
		{[]string{"map", "--run", runDir, "--color-by", "x", "-o", filepath.Join(out, "m.png")}, 2, "--color-by x: --data"},
		{[]string{"map", "--run", runDir, "--manifold", "--color-by", "x", "-o", filepath.Join(out, "m.png")}, 2, "--color-by"},
	}
	for _, c := range cases {
		code, _, stderr := runLatent(t, nil, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("latent %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
		if c.code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") > 2 {
			t.Errorf("latent %s: the refusal takes more than one line:\n%s", strings.Join(c.args, " "), stderr)
		}
	}
}

// factorFolder writes a folder of 8×8 grey PNGs with a factors.csv: a
// bright 2×2 square at column 2·x (x: 4 values) of brightness level (3
// values), 3 images of each of the 12 combinations, in two class folders.
func factorFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	csv := "file,x,level\n"
	for i := range 36 {
		x, level := i%4, (i/4)%3
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		for dy := range 2 {
			for dx := range 2 {
				img.SetGray(2*x+dx, 3+dy+i%3-1, color.Gray{Y: uint8(80 * (level + 1))})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%c/%02d.png", 'a'+i%2, i)
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		evWriteFile(t, filepath.Join(dir, name), buf.String())
		csv += fmt.Sprintf("%s,%d,%d\n", name, x, level)
	}
	evWriteFile(t, filepath.Join(dir, "factors.csv"), csv)
	return dir
}

// TestFactorsEndToEnd: on a run whose image folder has a factors.csv,
// `latent factors` prints the table, --json every field with a matrix
// row per latent dimension and -o the figure; traverse names its rows by
// factor; map --color-by colours by one and refuses an unknown one,
// listing the factors.
func TestFactorsEndToEnd(t *testing.T) {
	b := genSkipWithoutXLA(t)
	runDir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := rundir.DefaultConfig()
	cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = genSide, genSide, 1
	cfg.Model.Widths, cfg.Model.Latent = []int{4}, 2
	cfg.Data = rundir.DataConfig{Spec: factorFolder(t), TestFraction: 0.25, SplitSeed: 1}
	saveRandomRun(t, b, runDir, cfg)
	out := t.TempDir()
	small := []string{"--train", "60", "--eval", "30", "--vote-batch", "4"}
	code, stdout, stderr := genLatent(append([]string{"factors", "--run", runDir, "-o", filepath.Join(out, "mi.png")}, small...)...)
	if code != 0 {
		t.Fatalf("latent factors: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"MIG", "SAP", "DCI completeness", "FactorVAE score", "BetaVAE score", "carried by", "level"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout)
		}
	}
	if img := readPNG(t, filepath.Join(out, "mi.png")); img.Bounds().Dx() < 100 {
		t.Errorf("mi.png is %v", img.Bounds())
	}
	code, stdout, stderr = genLatent(append([]string{"factors", "--run", runDir, "--json"}, small...)...)
	if code != 0 {
		t.Fatalf("latent factors --json: exit %d\n%s", code, stderr)
	}
	var r struct {
		Dimensions int         `json:"dimensions"`
		FullGrid   bool        `json:"full_grid"`
		MI         [][]float64 `json:"mutual_information"`
		Factors    []struct{ Name string }
		FactorVAE  *struct{ EvalAccuracy float64 } `json:"factor_vae"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if r.Dimensions != 2 || len(r.MI) != 2 || !r.FullGrid || r.FactorVAE == nil || len(r.Factors) != 2 || r.Factors[1].Name != "level" {
		t.Errorf("--json: %+v", r)
	}
	code, stdout, stderr = genLatent("traverse", "--run", runDir, "-o", filepath.Join(out, "t.png"), "--steps", "3")
	if code != 0 || !strings.Contains(stdout, "named by the factor") || !regexp.MustCompile(`z\d \((x|level) \d\.\d\d|inactive`).MatchString(stdout) {
		t.Errorf("traverse: exit %d, stdout %q, stderr %q; want rows named by factor", code, stdout, stderr)
	}
	code, stdout, stderr = genLatent("map", "--run", runDir, "--color-by", "level", "-o", filepath.Join(out, "m.png"))
	if code != 0 || !strings.Contains(stdout, "coloured by level") {
		t.Errorf("map --color-by level: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = genLatent("map", "--run", runDir, "--color-by", "size", "-o", filepath.Join(out, "m.png"))
	if code != 2 || !strings.Contains(stderr, "x, level") {
		t.Errorf("map --color-by size: exit %d, stderr %q; want exit 2 listing x, level", code, stderr)
	}
}
