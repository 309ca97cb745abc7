package main

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// Tiny runs for the generating commands' tests: 8×8 images, one encoder
// convolution of 4 channels, a 2-d latent, randomly initialised.
const (
	genSide     = 8
	genTrainN   = 20
	genTestN    = 12
	genBackendF = "--backend=xla:cpu"
)

// genSkipWithoutXLA skips (or, with CI=true, fails) when XLA CPU is missing.
func genSkipWithoutXLA(t *testing.T) *backend.Backend { return testenv.XLA(t) }

// genTestRun makes a run folder of a tiny model with channels channels,
// whose data set is a folder of 8×8 IDX files (genTrainN training and
// genTestN test images). It returns the run folder and the test images'
// bytes.
func genTestRun(t *testing.T, channels int) (runDir string, testImages []byte) {
	t.Helper()
	return genTestRunOf(t, channels, 0, nil)
}

// genTestRunOf is genTestRun of a model that edit changes (nil: none),
// whose images are labelled i mod classes (all 0 when classes is 0).
func genTestRunOf(t *testing.T, channels, classes int, edit func(*models.Config)) (runDir string, testImages []byte) {
	t.Helper()
	labels := func(n int) []byte {
		l := make([]byte, n)
		for i := range l {
			if classes > 0 {
				l[i] = byte(i % classes)
			}
		}
		return l
	}
	b := genSkipWithoutXLA(t)
	root := t.TempDir()
	dataDir, runDir := filepath.Join(root, "data"), filepath.Join(root, "run")
	for _, d := range []string{dataDir, runDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	testrun.WriteIDX(t, filepath.Join(dataDir, "train-images-idx3-ubyte"), genPixels(genTrainN, 1), genTrainN, genSide, genSide)
	testrun.WriteIDX(t, filepath.Join(dataDir, "train-labels-idx1-ubyte"), labels(genTrainN), genTrainN)
	testImages = genPixels(genTestN, 2)
	testrun.WriteIDX(t, filepath.Join(dataDir, "t10k-images-idx3-ubyte"), testImages, genTestN, genSide, genSide)
	testrun.WriteIDX(t, filepath.Join(dataDir, "t10k-labels-idx1-ubyte"), labels(genTestN), genTestN)

	cfg := rundir.DefaultConfig()
	cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = genSide, genSide, channels
	cfg.Model.Widths, cfg.Model.Latent = []int{4}, 2
	if edit != nil {
		edit(&cfg.Model)
	}
	cfg.Data = rundir.DataConfig{Spec: dataDir, TestFraction: 0.1, SplitSeed: 1}
	saveRandomRun(t, b, runDir, cfg)
	return runDir, testImages
}

// genPixels returns n 8×8 images of varied bytes, different per salt.
func genPixels(n int, salt uint32) []byte {
	return testrun.Bytes(n*genSide*genSide, salt)
}

// genLatent runs latent with args and returns its exit code and output.
func genLatent(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(append(args, genBackendF), &out, &errOut)
	return code, out.String(), errOut.String()
}

// genMustRun runs latent and fails the test unless it succeeds.
func genMustRun(t *testing.T, args ...string) {
	t.Helper()
	if code, _, stderr := genLatent(args...); code != 0 {
		t.Fatalf("latent %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
}

// genMustFail runs latent, expecting a non-zero exit whose message holds
// want and leaves nothing in outDir (no output, no temporary file).
func genMustFail(t *testing.T, outDir, want string, args ...string) {
	t.Helper()
	code, _, stderr := genLatent(args...)
	if code == 0 {
		t.Errorf("latent %s succeeded", strings.Join(args, " "))
		return
	}
	t.Logf("latent %s: %s", args[0], strings.TrimSpace(stderr))
	if !strings.Contains(stderr, want) {
		t.Errorf("latent %s: error %q does not mention %q", strings.Join(args, " "), stderr, want)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
		t.Errorf("latent %s left %d files in the output folder, e.g. %s", strings.Join(args, " "), len(entries), entries[0].Name())
	}
}

// genSameFiles fails unless the files at a and b hold the same bytes.
func genSameFiles(t *testing.T, a, b string) {
	t.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ: the same run, seed and flags should give the same bytes", a, b)
	}
}

// genGridSize is the size of a grid of rows×cols cells of side*scale pixels.
func genGridSize(rows, cols, scale int) image.Point {
	return image.Pt(cols*genSide*scale+cols-1, rows*genSide*scale+rows-1)
}

func TestSample(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	a, b, c := filepath.Join(out, "a.png"), filepath.Join(out, "b.png"), filepath.Join(out, "c.png")
	genMustRun(t, "sample", "--run", runDir, "-n", "10", "--scale", "2", "-o", a)
	genMustRun(t, "sample", "--run", runDir, "-n", "10", "--scale", "2", "-o", b)
	genMustRun(t, "sample", "--run", runDir, "-n", "10", "--scale", "2", "-o", c, "--seed", "2")
	img := readPNG(t, a)
	if got, want := img.Bounds().Size(), genGridSize(3, 4, 2); got != want {
		t.Errorf("10 samples at scale 2: %v, want %v (4 columns, 3 rows)", got, want)
	}
	if _, ok := img.(*image.Gray); !ok {
		t.Errorf("grey run wrote a %T, want a grey PNG", img)
	}
	genSameFiles(t, a, b)
	if x, y := mustRead(t, a), mustRead(t, c); bytes.Equal(x, y) {
		t.Error("seeds 1 and 2 gave the same samples")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSampleRGB(t *testing.T) {
	runDir, _ := genTestRun(t, 3)
	path := filepath.Join(t.TempDir(), "s.png")
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--scale", "1", "-o", path)
	img := readPNG(t, path)
	if got, want := img.Bounds().Size(), genGridSize(2, 2, 1); got != want {
		t.Errorf("4 samples: %v, want %v", got, want)
	}
	if _, ok := img.(*image.Gray); ok {
		t.Error("RGB run wrote a grey PNG")
	}
}

func TestSampleErrors(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	notRun := t.TempDir()
	out := t.TempDir()
	o := filepath.Join(out, "s.png")
	tests := []struct {
		name, want string
		args       []string
	}{
		{"no run", "--run", []string{"-o", o}},
		{"not a run folder", "not a run folder", []string{"--run", notRun, "-o", o}},
		{"missing folder", "not a run folder", []string{"--run", filepath.Join(notRun, "nope"), "-o", o}},
		{"no samples", "-n 0", []string{"--run", runDir, "-n", "0", "-o", o}},
		{"negative temperature", "--temperature", []string{"--run", runDir, "--temperature", "-0.5", "-o", o}},
		{"zero scale", "--scale 0", []string{"--run", runDir, "--scale", "0", "-o", o}},
		{"no output folder", "does not exist", []string{"--run", runDir, "-o", filepath.Join(out, "missing", "s.png")}},
		{"temperature beyond float32", "--temperature 1e+39", []string{"--run", runDir, "--temperature", "1e39", "-o", o}},
		{"a grid too large", "-n and --scale", []string{"--run", runDir, "-n", "65536", "--scale", "64", "-o", o}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			genMustFail(t, out, tc.want, append([]string{"sample"}, tc.args...)...)
		})
	}
}

// genWritePNG writes img to path as a PNG file.
func genWritePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestSampleReportsAChangedOrDamagedRun: a config.json edited to another
// model is refused naming the field; a damaged newest checkpoint is passed
// over with a warning on stderr.
func TestSampleReportsAChangedOrDamagedRun(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	o := filepath.Join(t.TempDir(), "s.png")
	cfg, err := rundir.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := models.CreateVariables(genSkipWithoutXLA(t), ctx, cfg.Model); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(runDir, 5, cfg, ctx, 0); err != nil {
		t.Fatal(err)
	}
	newest := filepath.Join(runDir, checkpoints.Name(5))
	raw, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newest, raw[:len(raw)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := evLatent("sample", "--run", runDir, "-n", "4", "-o", o)
	if code != 0 || !strings.Contains(errOut, "skipping a damaged checkpoint") || !strings.Contains(errOut, newest) {
		t.Errorf("sample past a damaged checkpoint: exit %d, stderr:\n%s", code, errOut)
	}
	edited := cfg
	edited.Model.Latent = 3
	if err := rundir.WriteConfig(runDir, edited); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = evLatent("sample", "--run", runDir, "-n", "4", "-o", o)
	if code == 0 || !strings.Contains(errOut, "latent: 2 vs 3") {
		t.Errorf("sample with config.json edited to another latent size: exit %d, stderr:\n%s", code, errOut)
	}
}

// TestOutputsTouchOnlyWhatIsOurs: -o never replaces a named pipe, and
// never one of a run folder's own files.
func TestOutputsTouchOnlyWhatIsOurs(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	config := filepath.Join(runDir, rundir.ConfigFile)
	before, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := genLatent("sample", "--run", runDir, "-n", "4", "-o", config)
	if code == 0 || !strings.Contains(errOut, "run folder's own files") {
		t.Errorf("sample -o RUN/config.json: exit %d, stderr %q", code, errOut)
	}
	if after, _ := os.ReadFile(config); !bytes.Equal(before, after) {
		t.Errorf("sample -o RUN/config.json changed the run's config")
	}
	fifo := filepath.Join(t.TempDir(), "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = genLatent("sample", "--run", runDir, "-n", "4", "-o", fifo)
	if info, err := os.Lstat(fifo); code == 0 || !strings.Contains(errOut, "named pipe") || err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("sample -o FIFO: exit %d, stderr %q; the pipe must stay (%v)", code, errOut, err)
	}
}

// TestInterruptedOutputLeavesNoLitter: Ctrl-C while sample writes its
// picture removes the temporary file, leaves no output and exits 130.
func TestInterruptedOutputLeavesNoLitter(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	cmd := latentCmd(nil, "sample", "--run", runDir, "-n", "65536", "--scale", "8", "-o", filepath.Join(out, "s.png"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if tmp, _ := filepath.Glob(filepath.Join(out, ".s.png.tmp-*")); len(tmp) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sample never started writing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("sample interrupted while writing: %v, want exit status 130", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("an interrupted sample left %s in the output folder", entries[0].Name())
	}
}

// saveRandomRun writes runDir as a run of cfg whose weights are the
// model's initial ones, drawn from seed 1: its config.json and a
// checkpoint at step 0.
func saveRandomRun(t *testing.T, b *backend.Backend, runDir string, cfg rundir.Config) {
	t.Helper()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	if err := models.CreateVariables(b, ctx, cfg.Model); err != nil {
		t.Fatal(err)
	}
	if err := rundir.WriteConfig(runDir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(runDir, 0, cfg, ctx, 3); err != nil {
		t.Fatal(err)
	}
}
