package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// scoreFeatureNet trains a feature network in a moment on the images of a
// genTestRun data set, labelled by parity as two classes, and writes it to
// a file.
func scoreFeatureNet(t *testing.T, runDir string) string {
	t.Helper()
	b := genSkipWithoutXLA(t)
	cfg, err := rundir.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := cfg.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	set.Classes = []string{"even", "odd"}
	for _, sp := range []*data.Split{set.Train, set.Test} {
		for i := range sp.Labels {
			sp.Labels[i] = i % 2
		}
	}
	r := features.Recipe{Architecture: features.Architecture, Seed: 1, Steps: 3, Batch: 8, LR: 1e-3}
	net, err := features.Train(b, set, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "features.safetensors")
	if err := net.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPerfectPrior: posterior draws, decoded, lie nearer their own image's
// reconstruction (the decoded mean) than a shuffled pairing does, and not
// at it; another seed draws others. The perfect prior draws as many
// images as asked, the same for the same seed.
func TestPerfectPrior(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	s, set := openTestRunData(t, runDir)
	draws, err := s.PosteriorDraws(set.Train.Images(), set.Train.Labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.PosteriorDraws(set.Train.Images(), set.Train.Labels, 2)
	if err != nil {
		t.Fatal(err)
	}
	means, err := s.Reconstructions(set.Train.Images(), set.Train.Labels)
	if err != nil {
		t.Fatal(err)
	}
	size, n := len(means)/set.Train.N, set.Train.N
	dist := func(a, b []float32, shift int) float64 {
		d := 0.0
		for i := range n {
			j := (i + shift) % n
			for k := range size {
				d += math.Abs(float64(a[i*size+k] - b[j*size+k]))
			}
		}
		return d / float64(n*size)
	}
	paired, shuffled := dist(draws, means, 0), dist(draws, means, n/2)
	if !(paired > 0 && paired < shuffled) || slices.Equal(draws, other) {
		t.Errorf("draw to its own mean %.4f, to another image's %.4f (want 0 < own < other); seeds 1 and 2 equal: %v",
			paired, shuffled, slices.Equal(draws, other))
	}
	n3 := 3 * n
	a, errA := s.PerfectPrior(set.Train, n3, 5)
	b, errB := s.PerfectPrior(set.Train, n3, 5)
	if errA != nil || errB != nil || len(a) != n3*size || !slices.Equal(a, b) {
		t.Errorf("perfect prior of %d: %d values (want %d), errors %v, %v; the same seed twice equal: %v",
			n3, len(a), n3*size, errA, errB, slices.Equal(a, b))
	}
}

// TestScore runs `latent score` on a tiny run: three rows of sane scores,
// the same numbers twice, and the errors of bad input.
func TestScore(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no network trained here may reach the user's cache
	runDir, _ := genTestRun(t, 1)
	feat := scoreFeatureNet(t, runDir)
	args := []string{"score", "--run", runDir, "--features", feat, "-n", "30", "--seed", "2", "--json"}
	code, out, stderr := genLatent(args...)
	if code != 0 {
		t.Fatalf("latent score: exit %d\n%s", code, stderr)
	}
	var rep vae.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	want := []struct {
		name string
		n    int
	}{{"samples: normal", 30}, {"perfect prior", 30}, {"reconstructions", genTestN}, {"training split", genTrainN}}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rep.Rows), len(want))
	}
	for i, w := range want {
		r := rep.Rows[i]
		if r.Name != w.name || r.N != w.n {
			t.Errorf("row %d: %s of %d, want %s of %d", i, r.Name, r.N, w.name, w.n)
		}
		sum := 0.0
		for _, p := range r.Shares {
			sum += p
		}
		if !(r.FID >= 0) || math.IsInf(r.FID, 0) || !(r.Precision >= 0 && r.Precision <= 1) || !(r.Recall >= 0 && r.Recall <= 1) ||
			!(math.Abs(sum-1) <= 1e-9) || len(r.Shares) != 2 || !(r.Entropy >= 0 && r.Entropy <= math.Ln2+1e-12) ||
			math.IsNaN(r.KID) || !(r.KIDStd >= 0) {
			t.Errorf("row %s: %+v", r.Name, r)
		}
	}
	if rep.Reference != genTestN || rep.Features != feat {
		t.Errorf("report: %d test images, features %q", rep.Reference, rep.Features)
	}
	if _, again, _ := genLatent(args...); again != out {
		t.Errorf("a second run printed other scores:\n%s\nthen\n%s", out, again)
	}
	if _, other, _ := genLatent(append(args[:len(args)-3:len(args)-3], "--seed", "3", "--json")...); other == out {
		t.Error("another seed gave the same scores")
	}
	_, text, _ := genLatent(args[:len(args)-1]...)
	for _, s := range []string{"not comparable with Inception", "samples", "perfect prior", "reconstructions", "training split", "class coverage"} {
		if !strings.Contains(text, s) {
			t.Errorf("the table lacks %q:\n%s", s, text)
		}
	}

	mnistRun := t.TempDir() // a run folder of MNIST (only its config is read): its data set's network is the shipped one
	if err := rundir.WriteConfig(mnistRun, rundir.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	testenv.MNIST(t)

	raw, err := os.ReadFile(feat)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.safetensors")
	raw[len(raw)-10] ^= 0x10
	if err := os.WriteFile(damaged, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unlabelled, no --features", []string{"score", "--run", runDir}, 1, "has no labels"},
		{"damaged feature file", []string{"score", "--run", runDir, "--features", damaged}, 1, damaged},
		{"run with an unlabelled set as --features", []string{"score", "--run", runDir, "--features", runDir}, 1, "no labels"},
		{"--features RUN, another image size", []string{"score", "--run", runDir, "--features", mnistRun}, 1,
			"feature network latent's network for mnist takes 28x28x1 images, the run makes 8x8x1"},
		{"one sample", []string{"score", "--run", runDir, "--features", feat, "-n", "1"}, 2, "-n 1: want 2"},
		{"no run", []string{"score"}, 2, "--run"},
		{"-o without --train-features", []string{"score", "--run", runDir, "-o", "x.safetensors"}, 2, "-o"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := genLatent(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and a message with %q", code, out, stderr, tc.code, tc.want)
			}
			if tc.name == "unlabelled, no --features" && !strings.Contains(stderr, "--features") {
				t.Errorf("the refusal does not say how to go on (--features): %s", stderr)
			}
		})
	}
}

// TestSampleNPY: `latent sample -o FILE.npy` writes the samples as a
// uint8 [N, H, W, C] array numpy reads, with the pixels the PNG grid
// shows, byte-identical for the same seed.
func TestSampleNPY(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	a, b, grid := filepath.Join(out, "a.npy"), filepath.Join(out, "b.npy"), filepath.Join(out, "grid.png")
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--seed", "3", "-o", a)
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--seed", "3", "-o", b)
	genSameFiles(t, a, b)
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--seed", "3", "--scale", "1", "-o", grid)
	raw, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(raw[8]) | int(raw[9])<<8
	header := string(raw[10 : 10+hlen])
	if string(raw[:8]) != "\x93NUMPY\x01\x00" || (10+hlen)%64 != 0 ||
		!strings.Contains(header, "'descr': '|u1'") || !strings.Contains(header, "'shape': (4, 8, 8, 1,)") {
		t.Fatalf("header %q", raw[:10+hlen])
	}
	pixels := raw[10+hlen:]
	if len(pixels) != 4*genSide*genSide {
		t.Fatalf("%d bytes of pixels, want %d", len(pixels), 4*genSide*genSide)
	}
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 { // a 2×2 grid with 1-pixel separators
		x0, y0 := (i%2)*(genSide+1), (i/2)*(genSide+1)
		for y := range genSide {
			for x := range genSide {
				r, _, _, _ := img.At(x0+x, y0+y).RGBA()
				if got, want := pixels[i*genSide*genSide+y*genSide+x], uint8(r>>8); got != want {
					t.Fatalf("sample %d pixel (%d,%d): %d in the .npy, %d in the PNG", i, x, y, got, want)
				}
			}
		}
	}
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--seed", "4", "-o", b)
	if same, _ := os.ReadFile(b); bytes.Equal(same, raw) {
		t.Error("another seed wrote the same samples")
	}
	python := testenv.PythonNumpy(t)
	check := fmt.Sprintf("import numpy as np; a = np.load(%q); assert a.shape == (4, 8, 8, 1) and a.dtype == np.uint8, (a.shape, a.dtype)", a)
	testenv.RunPython(t, python, nil, "-c", check)
}

// TestSampleLabels: samples of a conditional run take the classes in
// turn; an unconditional run's take none.
func TestSampleLabels(t *testing.T) {
	m := rundir.DefaultConfig().Model
	if got := vae.SampleLabels(m, 5); got != nil {
		t.Errorf("unconditional: %v, want none", got)
	}
	m.Classes = 3
	if got, want := vae.SampleLabels(m, 7), []int{0, 1, 2, 0, 1, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("3 classes: %v, want %v", got, want)
	}
}

// TestScorePriors scores each prior's samples side by side: N(0, I) and
// every fitted prior by default, the one --prior names otherwise.
func TestScorePriors(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	runDir, _ := genTestRun(t, 1)
	feat := scoreFeatureNet(t, runDir)
	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
	rows := func(extra ...string) []vae.Row {
		t.Helper()
		args := append([]string{"score", "--run", runDir, "--features", feat, "-n", "20", "--json"}, extra...)
		code, out, stderr := genLatent(args...)
		if code != 0 {
			t.Fatalf("latent %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		var rep vae.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Rows
	}
	all := rows()
	if len(all) != 5 || all[0].Name != "samples: normal" || all[1].Name != "samples: gmm" {
		t.Fatalf("rows %v, want samples: normal, samples: gmm, then the calibration rows", all)
	}
	if all[0].FID == all[1].FID {
		t.Error("the gmm prior's samples score as N(0, I)'s")
	}
	one := rows("--prior", "gmm")
	if len(one) != 4 || one[0].Name != "samples: gmm" || one[0].FID != all[1].FID {
		t.Errorf("--prior gmm: rows %v, want the gmm row of the full report (FID %g) and the calibration rows", one, all[1].FID)
	}
	if code, _, stderr := genLatent("score", "--run", runDir, "--features", feat, "--prior", "diffusion"); code == 0 ||
		!strings.Contains(stderr, "latent prior fit --run "+runDir+" --kind diffusion") {
		t.Errorf("--prior diffusion without one: exit %d, %q; want the command that fits it", code, stderr)
	}
}
