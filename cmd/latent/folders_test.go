package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
)

// colourFolder writes n 8×8 PNGs into two class subfolders, a and b, and
// returns the folder: in colour when colour is set, else grey pixels
// stored as RGBA.
func colourFolder(t *testing.T, n int, colour bool) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		for y := range 8 {
			for x := range 8 {
				v := uint8((x*29 + y*11 + i*7) % 256)
				c := color.RGBA{v, v, v, 255}
				if colour {
					c = color.RGBA{v, 255 - v, uint8(i * 9), 255}
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, string(rune('a'+i%2)))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		evWriteFile(t, filepath.Join(sub, string(rune('a'+i/26))+string(rune('a'+i%26))+".png"), buf.String())
	}
	return dir
}

// TestFolderChannelsFromImages: a folder's channel count comes from its
// images unless --channels forces it, and the choice is printed.
func TestFolderChannelsFromImages(t *testing.T) {
	rgb, grey := colourFolder(t, 10, true), colourFolder(t, 10, false)
	for _, c := range []struct {
		dir        string
		args       []string
		shape, say string
	}{
		{rgb, nil, "8x8x3", "channels: 3 (RGB), from the images"},
		{grey, nil, "8x8x1", "channels: 1 (grey), from the images"},
		{rgb, []string{"--channels", "1"}, "8x8x1", ""},
	} {
		code, stdout, stderr := evLatent(append([]string{"data", "--data", c.dir}, c.args...)...)
		switch {
		case code != 0:
			t.Errorf("data %v: exit %d, stderr %q", c.args, code, stderr)
		case !strings.Contains(stdout, c.shape):
			t.Errorf("data %v on %s: want shape %s in\n%s", c.args, filepath.Base(c.dir), c.shape, stdout)
		case c.say != "" && !strings.Contains(stdout, c.say):
			t.Errorf("data %v: want %q in\n%s", c.args, c.say, stdout)
		case c.say == "" && strings.Contains(stdout, "from the images"):
			t.Errorf("data %v: --channels forced the count, yet it says it came from the images:\n%s", c.args, stdout)
		}
	}
}

// TestTrainFolderWarnsAndEvaluatesEvery: training bernoulli on an RGB
// folder warns, naming the likelihood that fits; the run saves the
// detected channels; test evaluations come every --eval-every steps, and
// by default not every epoch of a small set.
func TestTrainFolderWarnsAndEvaluatesEvery(t *testing.T) {
	testenv.XLA(t)
	rgb := colourFolder(t, 40, true) // 36 training images: 9 steps per epoch of 4
	tiny := []string{"--data", rgb, "--widths", "4", "--latent", "2", "--hidden", "0", "--batch-size", "4", "--steps", "20", "--log-every", "1"}
	for _, c := range []struct {
		name     string
		args     []string
		warn     bool
		evalRows []string // steps of metrics.csv's rows with test columns
	}{
		{"default", nil, false, []string{"20"}}, // the colour defaults: logistic
		{"bernoulli", []string{"--likelihood", "bernoulli"}, true, []string{"20"}},
		{"every5", []string{"--eval-every", "5", "--likelihood", "logistic"}, false, []string{"5", "10", "15", "20"}},
	} {
		dir := filepath.Join(t.TempDir(), c.name)
		code, _, stderr := evLatent(append(append([]string{"train", "--out", dir}, tiny...), c.args...)...)
		if code != 0 {
			t.Fatalf("train %v: exit %d, stderr %q", c.args, code, stderr)
		}
		warned := strings.Contains(stderr, "warning: the bernoulli likelihood does not fit RGB images") && strings.Contains(stderr, "--likelihood logistic")
		if warned != c.warn {
			t.Errorf("train %v: warned %v, want %v; stderr:\n%s", c.args, warned, c.warn, stderr)
		}
		defaulted := strings.Contains(stderr, "defaults for colour --likelihood logistic")
		if want := c.args == nil; defaulted != want {
			t.Errorf("train %v: said it took the colour defaults %v, want %v; stderr:\n%s", c.args, defaulted, want, stderr)
		}
		if !strings.Contains(stderr, "channels: 3 (RGB), from the images") {
			t.Errorf("train %v: does not say the channels came from the images:\n%s", c.args, stderr)
		}
		cfg, err := rundir.ReadConfig(dir)
		if err != nil || cfg.Data.Channels != 3 || cfg.Model.Channels != 3 {
			t.Errorf("train %v: config channels %d (data) %d (model), %v; want 3 saved", c.args, cfg.Data.Channels, cfg.Model.Channels, err)
		}
		if got := testRows(t, dir); strings.Join(got, ",") != strings.Join(c.evalRows, ",") {
			t.Errorf("train %v: test evaluations at steps %v, want %v", c.args, got, c.evalRows)
		}
	}
	evMustFail(t, "--eval-every -1: want ≥ 0", "", append([]string{"train", "--out", filepath.Join(t.TempDir(), "x"), "--eval-every", "-1"}, tiny...)...)
}

// testRows returns the steps of a run's metrics.csv rows that hold a test
// evaluation.
func testRows(t *testing.T, dir string) []string {
	t.Helper()
	rows := readCSV(t, filepath.Join(dir, rundir.MetricsFile))
	col := csvColumn(rows[0], "test_neg_elbo")
	var steps []string
	for _, r := range rows[1:] {
		if col >= 0 && r[col] != "" {
			steps = append(steps, r[0])
		}
	}
	return steps
}
