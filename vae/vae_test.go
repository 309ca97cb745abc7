package vae

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
)

// Sizes of the tiny run's data set.
const (
	side   = 28
	trainN = 48
	testN  = 16
)

// tinyRun writes a run folder of testrun.TinyConfig trained for a few
// steps on a folder of IDX files of noise, and returns it.
func tinyRun(t *testing.T) string {
	t.Helper()
	return tinyRunOf(t, 0)
}

// tinyRunOf is tinyRun, conditional on classes classes (images labelled i
// mod classes) when classes > 0, with untrained weights then.
func tinyRunOf(t *testing.T, classes int) string {
	t.Helper()
	return tinyRunModel(t, testrun.TinyConfig(), classes, classes == 0)
}

// tinyRunModel writes a run folder of model on tinyRun's data, conditional
// on classes classes when classes > 0, its weights trained for a few
// steps when trained, else as created.
func tinyRunModel(t *testing.T, model models.Config, classes int, trained bool) string {
	t.Helper()
	b := testenv.XLA(t)
	root := t.TempDir()
	dataDir, runDir := filepath.Join(root, "data"), filepath.Join(root, "run")
	for _, d := range []string{dataDir, runDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	train, test := noise(trainN, 1), noise(testN, 2)
	testrun.WriteIDX(t, filepath.Join(dataDir, "train-images-idx3-ubyte"), train, trainN, side, side)
	testrun.WriteIDX(t, filepath.Join(dataDir, "train-labels-idx1-ubyte"), labels(trainN, classes), trainN)
	testrun.WriteIDX(t, filepath.Join(dataDir, "t10k-images-idx3-ubyte"), test, testN, side, side)
	testrun.WriteIDX(t, filepath.Join(dataDir, "t10k-labels-idx1-ubyte"), labels(testN, classes), testN)
	cfg := rundir.DefaultConfig()
	cfg.Model = model
	cfg.Data = rundir.DataConfig{Spec: dataDir, TestFraction: 0.1, SplitSeed: 1}
	images := make([]float32, len(train))
	for i, p := range train {
		images[i] = float32(p) / 255
	}
	cfg.Model.Classes = classes
	ctx := context.New()
	if !trained {
		if err := models.CreateVariables(b, ctx, cfg.Model); err != nil {
			t.Fatal(err)
		}
	} else {
		ctx, _ = testrun.Train(t, b, cfg.Model, images, 5, 8, 1)
	}
	if err := rundir.WriteConfig(runDir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(runDir, 5, cfg, ctx, 3); err != nil {
		t.Fatal(err)
	}
	return runDir
}

// labels returns n labels i mod classes (all 0 when classes is 0).
func labels(n, classes int) []byte {
	l := make([]byte, n)
	for i := range l {
		if classes > 0 {
			l[i] = byte(i % classes)
		}
	}
	return l
}

// noise returns n images of varied bytes, different per salt.
func noise(n int, salt uint32) []byte {
	return testrun.Bytes(n*side*side, salt)
}

// open opens runDir on XLA CPU, its messages in log.
func open(t *testing.T, runDir string, log io.Writer) *Session {
	t.Helper()
	testenv.XLA(t)
	s, err := Open(runDir, "xla:cpu", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestOpenRefusesWhatIsNotARun: a missing folder and a file are refused in
// words naming --run.
func TestOpenRefusesWhatIsNotARun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "none"): "--run: not a run folder: " + filepath.Join(dir, "none") + " does not exist",
		file:                       "--run: not a run folder: " + file + " is a file",
	} {
		if s, err := Open(path, "xla:cpu", io.Discard); err == nil || err.Error() != want {
			if s != nil {
				s.Close()
			}
			t.Errorf("Open(%s): %v, want %q", path, err, want)
		}
	}
}

// TestSampleNormal: the normal prior draws generate.RandomLatents' codes at
// every temperature, as NormalSampler does; auto, with nothing fitted, is
// normal and says how to fit one; a name that is no prior is an
// *ArgError, a kind not fitted is not.
func TestSampleNormal(t *testing.T) {
	var log bytes.Buffer
	s := open(t, tinyRun(t), &log)
	d := s.Model.Latent
	for _, temp := range []float64{1, 0.5, 0} {
		codes, used, err := s.Sample(prior.Normal, DefaultPriorSteps, 5, 3, temp, nil)
		want := generate.RandomLatents(5, d, 3, temp)
		direct, _ := NormalSampler(s.Model.Kind()).Sample(5, 3, temp, nil)
		if err != nil || used != prior.Normal || !slices.Equal(codes, want) || !slices.Equal(direct, want) {
			t.Errorf("temperature %g: %v from %q (err %v), NormalSampler %v; want %v", temp, codes, used, err, direct, want)
		}
	}
	log.Reset()
	if _, used, err := s.Sample(prior.Auto, DefaultPriorSteps, 2, 1, 1, nil); err != nil || used != prior.Normal ||
		!strings.Contains(log.String(), "prior: normal (N(0, I)); fit a better one with `latent prior fit --run") {
		t.Errorf("auto: %q, %v; log %q", used, err, log.String())
	}
	var arg *ArgError
	if _, _, err := s.Sample("nope", DefaultPriorSteps, 2, 1, 1, nil); !errors.As(err, &arg) {
		t.Errorf("prior nope: %v, want an *ArgError", err)
	}
	kind := prior.KindNames()[0]
	if _, _, err := s.Sample(kind, DefaultPriorSteps, 2, 1, 1, nil); !errors.Is(err, prior.ErrNotFitted) || errors.As(err, &arg) ||
		!strings.HasPrefix(err.Error(), "--prior "+kind+": ") {
		t.Errorf("prior %s, not fitted: %v, want prior.ErrNotFitted naming --prior, not an *ArgError", kind, err)
	}
}

// TestEncodeDecode: codes and images of the shapes asked, pixels in
// [0, 1] (no NaN), decoding the same codes twice the same, and a
// label given to an unconditional run is an *ArgError.
func TestEncodeDecode(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	size := m.Height * m.Width * m.Channels
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	sub := LimitSplit(set.Test, 3)
	codes, err := s.Encode(sub.Images(), nil)
	if err != nil || len(codes) != 3*m.Latent {
		t.Fatalf("Encode: %d values, %v; want %d", len(codes), err, 3*m.Latent)
	}
	images, err := s.Decode(codes, nil)
	again, _ := s.Decode(codes, nil)
	if err != nil || len(images) != 3*size || !slices.Equal(images, again) {
		t.Fatalf("Decode: %d values, %v, twice equal %v; want %d", len(images), err, slices.Equal(images, again), 3*size)
	}
	for i, v := range images {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("pixel %d is %g, want a value in [0, 1]", i, v)
		}
	}
	pixels, err := s.SampleImages(codes, nil)
	if err != nil || !slices.Equal(pixels, generate.Bytes(images)) {
		t.Errorf("SampleImages: %d bytes, %v; want the decoded images as bytes", len(pixels), err)
	}
	var arg *ArgError
	if _, ok, err := s.Label("3"); ok || !errors.As(err, &arg) || !strings.Contains(err.Error(), "is not conditional") {
		t.Errorf("Label(3) of an unconditional run: %v, %v; want an *ArgError saying so", ok, err)
	}
	if _, ok, err := s.Label(""); ok || err != nil {
		t.Errorf(`Label(""): %v, %v; want no label, no error`, ok, err)
	}
}

// TestFitPriorThenSample fits the last kind of prior.Kinds (the quickest
// to fit) with FitPrior, then auto draws from it: other codes than N(0, I)'s,
// the same for the same seed, and the log names the prior.
func TestFitPriorThenSample(t *testing.T) {
	runDir := tinyRun(t)
	var log bytes.Buffer
	s := open(t, runDir, &log)
	kinds := prior.Kinds()
	kind := kinds[len(kinds)-1]
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	recipe := prior.DefineFitFlags(fs).Recipes[kind]
	k, _ := prior.Lookup(kind)
	w, err := prior.Begin(runDir, kind, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Release()
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		t.Fatal(err)
	}
	cfg := prior.Config{Kind: kind, Draws: k.Draws, DrawTemperature: 1, Seed: 1}
	origin.Stamp(&cfg)
	if _, err := s.FitPrior(w, recipe, cfg, nil); err != nil {
		t.Fatalf("FitPrior %s: %v", kind, err)
	}
	log.Reset()
	a, used, errA := s.Sample(prior.Auto, DefaultPriorSteps, 6, 2, 1, nil)
	b, _, errB := s.Sample(prior.Auto, DefaultPriorSteps, 6, 2, 1, nil)
	normal := generate.RandomLatents(6, s.Model.Latent, 2, 1)
	if errA != nil || errB != nil || used != kind || !slices.Equal(a, b) || slices.Equal(a, normal) || len(a) != len(normal) {
		t.Errorf("auto after fitting %s: %q, %v, %v; twice equal %v, equal to N(0, I)'s %v", kind, used, errA, errB,
			slices.Equal(a, b), slices.Equal(a, normal))
	}
	if !strings.Contains(log.String(), "prior: "+kind) {
		t.Errorf("log %q does not name the %s prior", log.String(), kind)
	}
	if names, samplers, err := s.OpenSamplers(DefaultPriorSteps, 1); err != nil || !slices.Equal(names, []string{prior.Normal, kind}) {
		t.Errorf("OpenSamplers: %v, %v; want normal and %s", names, err, kind)
	} else {
		for _, c := range samplers {
			c.Close()
		}
	}
}

// TestPerfectPrior: n images, the same for the same seed, others for
// another, each a posterior draw, so not the reconstruction itself.
func TestPerfectPrior(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.DataSet("", "data set")
	if err != nil {
		t.Fatal(err)
	}
	size := s.Model.Height * s.Model.Width * s.Model.Channels
	a, errA := s.PerfectPrior(set.Train, 7, 5)
	b, errB := s.PerfectPrior(set.Train, 7, 5)
	c, errC := s.PerfectPrior(set.Train, 7, 6)
	if errA != nil || errB != nil || errC != nil || len(a) != 7*size || !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatalf("PerfectPrior: %d values (want %d), errors %v %v %v; seed 5 twice equal %v, seeds 5 and 6 equal %v",
			len(a), 7*size, errA, errB, errC, slices.Equal(a, b), slices.Equal(a, c))
	}
	draws, err := s.PosteriorDraws(set.Train.Images(), set.Train.Labels, 1)
	means, errM := s.Reconstructions(set.Train.Images(), set.Train.Labels)
	if err != nil || errM != nil || len(draws) != len(means) || slices.Equal(draws, means) {
		t.Fatalf("posterior draws %d values, reconstructions %d (%v, %v); want as many, not equal", len(draws), len(means), err, errM)
	}
	for i, v := range draws {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			t.Fatalf("draw pixel %d is %g", i, v)
		}
	}
}

// TestSampleByClass: class after class, per codes each with its label;
// N(0, I) repeats one draw of per codes in every class (one style per
// column), and a label names a class by name or index.
func TestSampleByClass(t *testing.T) {
	s := open(t, tinyRunOf(t, 3), io.Discard)
	d, per := s.Model.Latent, 2
	codes, labels, used, err := s.SampleByClass(prior.Normal, DefaultPriorSteps, per, 9, 1)
	if err != nil || used != prior.Normal || !slices.Equal(labels, []int{0, 0, 1, 1, 2, 2}) || len(codes) != 3*per*d {
		t.Fatalf("SampleByClass: labels %v, %d values, %q, %v; want 0 0 1 1 2 2, %d values, normal", labels, len(codes), used, err, 3*per*d)
	}
	first := generate.RandomLatents(3*per, d, 9, 1)[:per*d]
	for c := range 3 {
		if !slices.Equal(codes[c*per*d:(c+1)*per*d], first) {
			t.Errorf("class %d's codes are not the first %d of N(0, I)'s draw", c, per)
		}
	}
	if l, ok, err := s.Label("2"); !ok || err != nil || l != 2 {
		t.Errorf("Label(2): %d, %v, %v", l, ok, err)
	}
	var arg *ArgError
	if _, _, err := s.Label("7"); !errors.As(err, &arg) || !strings.Contains(err.Error(), "not one of the run's 3 classes") {
		t.Errorf("Label(7): %v, want an *ArgError naming the 3 classes", err)
	}
}
