package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/rundir"
)

// evRun writes a run folder for the evaluation commands' tests: a tiny model
// (testrun.TinyConfig) trained for 30 steps on MNIST, whose config limits
// the data to 500 training and 200 test images, with a checkpoint at step 30
// and a metrics.csv. Without MNIST or XLA it skips, except under CI.
func evRun(t *testing.T) string {
	t.Helper()
	dir := tinyRun(t, 4, 500, 200, 30, 32)
	evWriteFile(t, filepath.Join(dir, rundir.MetricsFile), metricsHeader()+
		"10,0.6,300,280,20,,,,100,1\n20,1.3,250,230,20,,,,100,2\n30,1.9,220,200,20,225,205,20,100,3\n")
	return dir
}

// tinyRun writes a run folder of testrun.TinyConfig with a latent of
// latent dimensions, trained for steps steps of batch images on the first
// train MNIST training images, whose config limits its test split to the
// first test images, with a checkpoint at its last step. Without MNIST or
// XLA it skips, except under CI.
func tinyRun(t *testing.T, latent, train, test, steps, batch int) string {
	t.Helper()
	b := testenv.XLA(t)
	set := testenv.MNIST(t)
	cfg := rundir.DefaultConfig()
	cfg.Model = testrun.TinyConfig()
	cfg.Model.Latent = latent
	cfg.Data.TrainLimit, cfg.Data.TestLimit = train, test
	cfg.Steps, cfg.BatchSize = int64(steps), batch
	ctx, _ := testrun.Train(t, b, cfg.Model, set.Train.Subset(train).Images(), steps, batch, 1)
	dir := t.TempDir()
	if err := rundir.WriteConfig(dir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(dir, cfg.Steps, cfg, ctx, 3); err != nil {
		t.Fatal(err)
	}
	return dir
}

// evalJSON runs latent eval --json with args on run dir, decodes its
// output into v and returns its stderr.
func evalJSON(t *testing.T, dir string, v any, args ...string) string {
	t.Helper()
	code, stdout, stderr := evLatent(append([]string{"eval", "--run", dir, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("latent eval %v: exit %d: %s", args, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("latent eval --json printed %q: %v", stdout, err)
	}
	return stderr
}

func evWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// evLatent runs latent in-process and returns its exit code and output.
func evLatent(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// evMustFail runs latent, expecting a failure whose message holds want and
// no file at noFile (when not empty).
func evMustFail(t *testing.T, want, noFile string, args ...string) {
	t.Helper()
	code, stdout, stderr := evLatent(args...)
	if code == 0 || !strings.Contains(stderr, want) {
		t.Errorf("latent %s: exit %d, stderr %q; want a failure mentioning %q", strings.Join(args, " "), code, stderr, want)
	}
	if strings.Contains(stdout, "wrote") {
		t.Errorf("latent %s failed yet says %q", strings.Join(args, " "), stdout)
	}
	if noFile != "" {
		if _, err := os.Stat(noFile); err == nil {
			t.Errorf("latent %s failed yet wrote %s", strings.Join(args, " "), noFile)
		}
	}
}

// evImageFolder writes n h×w grey PNG images (a gradient shifted per
// image, inverted when invert is set) into a new folder and returns it.
func evImageFolder(t *testing.T, n, h, w int, invert bool) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				v := uint8((x*9 + y*5 + i*13) % 256)
				if x > w/3 && x < 2*w/3 {
					v = 0
				}
				if invert {
					v = 255 - v
				}
				img.SetGray(x, y, color.Gray{Y: v})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		evWriteFile(t, filepath.Join(dir, "img"+string(rune('a'+i/26))+string(rune('a'+i%26))+".png"), buf.String())
	}
	return dir
}

func TestEvalCommand(t *testing.T) {
	dir := evRun(t)
	code, stdout, stderr := evLatent("eval", "--run", dir, "--iw", "5", "--limit", "50", "--json")
	if code != 0 {
		t.Fatalf("latent eval: exit %d: %s", code, stderr)
	}
	var got struct {
		NegELBO     float64  `json:"neg_elbo"`
		Recon       float64  `json:"recon"`
		KL          float64  `json:"kl"`
		IWNLL       *float64 `json:"iw_nll"`
		IWK         int      `json:"iw_k"`
		ActiveUnits int      `json:"active_units"`
		Latent      int      `json:"latent"`
		Images      int      `json:"images"`
		Binarized   bool     `json:"binarized"`
		Step        int64    `json:"step"`
		Run         string   `json:"run"`
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("latent eval --json printed %q: %v", stdout, err)
	}
	for _, field := range []string{"neg_elbo", "recon", "kl", "iw_nll", "iw_k", "active_units", "latent", "images", "binarized", "step", "run"} {
		if _, ok := raw[field]; !ok {
			t.Errorf("JSON lacks %s: %s", field, stdout)
		}
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Images != 50 || got.IWK != 5 || got.Latent != 4 || got.Step != 30 || got.Run != dir || got.Binarized {
		t.Errorf("latent eval --json: %+v; want 50 images, iw_k 5, latent 4, step 30, run %s, not binarized", got, dir)
	}
	if got.IWNLL == nil || !(got.KL > 0) || !(got.Recon > 0) || got.ActiveUnits > got.Latent ||
		!(abs(got.NegELBO-got.Recon-got.KL) <= 1e-6) || math.IsNaN(*got.IWNLL) || math.IsInf(*got.IWNLL, 0) {
		t.Errorf("latent eval --json: inconsistent terms %+v", got)
	}
	if !strings.Contains(stderr, "importance sampling: 50 images") {
		t.Errorf("stderr %q: want a progress line for importance sampling", stderr)
	}

	code, stdout, stderr = evLatent("eval", "--run", dir, "--iw", "0", "--limit", "50", "--binarize")
	if code != 0 {
		t.Fatalf("latent eval --binarize: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"dynamically binarized", "negative ELBO", "KL", "active units"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("latent eval table %q lacks %q", stdout, want)
		}
	}
	if strings.Contains(stdout, "IW NLL") {
		t.Errorf("latent eval --iw 0 printed an IW NLL: %q", stdout)
	}

	small := evImageFolder(t, 20, 8, 8, false)
	evMustFail(t, "images are 8x8x1 (height×width×channels) but the model takes 28x28x1", "",
		"eval", "--run", dir, "--data", small)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestEvalErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	notRun := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no run", []string{"eval"}, "--run: a run folder is required"},
		{"missing run folder", []string{"eval", "--run", missing}, missing},
		{"not a run folder", []string{"eval", "--run", notRun}, "config.json is missing"},
		{"negative iw", []string{"eval", "--run", notRun, "--iw", "-1"}, "--iw -1"},
		{"zero batch", []string{"eval", "--run", notRun, "--batch", "0"}, "--batch 0"},
		{"stray argument", []string{"eval", "--run", notRun, "extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { evMustFail(t, tt.want, "", tt.args...) })
	}
}

// metricsHeader is the first line of metrics.csv, with its newline.
func metricsHeader() string { return strings.Join(rundir.MetricsColumns(), ",") + "\n" }

// TestTestPixels: a run trained with --binarize scores the test split in
// metrics.csv on the same binarized pixels as `latent eval --binarize` (with
// its default --seed): with the same z drawn (a run of seed 0 evaluated at
// step 1 draws with seed 1, eval's default), both give the same negative
// ELBO, while eval on the grey pixels gives another.
func TestTestPixels(t *testing.T) {
	needMNISTAndXLA(t)
	dir := filepath.Join(t.TempDir(), "run")
	genMustRun(t, tinyTrainArgs(dir, "--binarize", "--seed", "0", "--steps", "1", "--quiet")...)
	trained := lastTestNegELBO(t, dir)
	evalNegELBO := func(args ...string) float64 {
		t.Helper()
		code, stdout, stderr := evLatent(append([]string{"eval", "--run", dir, "--json", "--batch", "64"}, args...)...)
		var r struct {
			NegELBO float64 `json:"neg_elbo"`
			Images  int     `json:"images"`
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil || r.Images != 64 {
			t.Fatalf("latent eval %v: exit %d, %d images, output %q %q", args, code, r.Images, stdout, stderr)
		}
		return r.NegELBO
	}
	binarized, grey := evalNegELBO("--binarize"), evalNegELBO()
	t.Logf("test negative ELBO: %.4f in metrics.csv, %.4f by eval --binarize, %.4f by eval on grey pixels", trained, binarized, grey)
	if !(math.Abs(binarized-trained) <= 1e-3) {
		t.Errorf("eval --binarize scores %.4f, metrics.csv %.4f: not the same test pixels", binarized, trained)
	}
	if !(math.Abs(grey-trained) >= 1) {
		t.Errorf("eval on grey pixels scores %.4f, metrics.csv %.4f: want them far apart, or the check above proves nothing", grey, trained)
	}
}

// lastTestNegELBO is the test_neg_elbo cell of the last row of the run's
// metrics.csv.
func lastTestNegELBO(t *testing.T, dir string) float64 {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(dir, rundir.MetricsFile)))), "\n")
	col := slices.Index(strings.Split(lines[0], ","), "test_neg_elbo")
	cells := strings.Split(lines[len(lines)-1], ",")
	if col < 0 || len(lines) < 2 || col >= len(cells) {
		t.Fatalf("metrics.csv of %s: no test_neg_elbo in its last row:\n%s", dir, strings.Join(lines, "\n"))
	}
	v, err := strconv.ParseFloat(cells[col], 64)
	if err != nil {
		t.Fatalf("metrics.csv of %s: test_neg_elbo %q: %v", dir, cells[col], err)
	}
	return v
}
