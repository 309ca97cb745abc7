package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
)

func needMNISTAndXLA(t *testing.T) {
	t.Helper()
	testenv.MNIST(t)
	testenv.XLA(t)
}

// TestTrainSurvivesSIGKILL kills a training process at random moments (it
// saves a checkpoint every step, so many kills land during saves); after
// each kill the latest checkpoint must load and --resume must train on,
// until the run completes.
func TestTrainSurvivesSIGKILL(t *testing.T) {
	needMNISTAndXLA(t)
	dir := filepath.Join(t.TempDir(), "run")
	const steps = 600
	args := []string{"train", "--out", dir, "--steps", "600", "--train-limit", "640", "--test-limit", "64",
		"--eval-batch", "64", "--widths", "8", "--latent", "2", "--batch-size", "32", "--save-every", "1", "--keep", "2"}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var last int64
	for kill := range 6 {
		cmd := latentCmd(nil, args...)
		if kill > 0 {
			cmd = latentCmd(nil, "train", "--out", dir, "--resume")
		}
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitForNewCheckpoint(t, dir, last)
		time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		ck, skipped, err := checkpoints.Latest(dir)
		if err != nil || len(skipped) > 0 {
			t.Fatalf("after kill %d: latest checkpoint: %v (damaged: %v); stderr:\n%s", kill+1, err, skipped, errb.String())
		}
		if ck.Step < last {
			t.Fatalf("after kill %d: latest checkpoint went back from step %d to %d", kill+1, last, ck.Step)
		}
		t.Logf("kill %d: latest checkpoint at step %d", kill+1, ck.Step)
		last = ck.Step
	}
	code, out, errOut := runLatent(t, nil, "train", "--out", dir, "--resume")
	if code != 0 || !strings.Contains(out, "to step 600") {
		t.Fatalf("final resume: exit %d\n%s\n%s", code, out, errOut)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left in the run folder after a clean finish: %v", leftovers)
	}
}

// waitForNewCheckpoint waits until dir holds a checkpoint after step after,
// so that the kill lands while training and saving.
func waitForNewCheckpoint(t *testing.T, dir string, after int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		files, _ := checkpoints.List(dir)
		if len(files) > 0 && filepath.Base(files[len(files)-1]) > checkpoints.Name(after) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no checkpoint after step %d appeared in %s", after, dir)
}

func TestTrainFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train"}, "--out"},
		{[]string{"train", "--out", dir, "--kernel", "4"}, "must be odd"},
		{[]string{"train", "--out", dir, "--widths", "8,x"}, "--widths"},
		{[]string{"train", "--out", dir, "--resume", "--lr", "0.1"}, "--lr cannot be changed with --resume"},
		{[]string{"train", "--out", filepath.Join(dir, "none"), "--resume"}, "config.json is missing"},
		{[]string{"train", "--out", dir, "--data", filepath.Join(dir, "nothing-here")}, "nothing-here"},
		{[]string{"train", "--out", dir, "--lr", "NaN"}, "--lr NaN"},
		{[]string{"train", "--out", dir, "--lr", "-0.001"}, "--lr -0.001"},
		{[]string{"train", "--out", dir, "--lr", "0"}, "--lr 0"},
		{[]string{"train", "--out", dir, "--beta", "+Inf"}, "--beta +Inf"},
		{[]string{"train", "--out", dir, "--epochs", "-2"}, "--epochs -2"},
		{[]string{"train", "--out", dir, "--batch-size", "0"}, "--batch-size 0"},
		{[]string{"train", "--out", dir, "--backend", "nonsense"}, `--backend "nonsense": unknown backend`},
	}
	for _, tc := range tests {
		var out, errb strings.Builder
		code := run(tc.args, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("latent %v: exit %d, stderr %q; want failure mentioning %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// TestResumeFlags: with --resume, flags that configure no run (output,
// backend, devices, the new end) pass, and any configuration flag is named
// in the refusal.
func TestResumeFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" for accepted
	}{
		{[]string{"--quiet", "--epochs", "80"}, ""},
		{[]string{"--steps", "9", "--backend", "go", "--devices", "1"}, ""},
		{[]string{"--quiet", "--lr", "0.1"}, "--lr cannot be changed"},
		{[]string{"--pixel-width", "32", "--ema", "0.99"}, "--ema, --pixel-width cannot be changed"},
	}
	for _, tc := range tests {
		fs, a := trainFlagSet(io.Discard)
		if err := parseTest(fs, append([]string{"--out", "run", "--resume"}, tc.args...)); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		err := a.check(fs)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("--resume %v: %v; want it accepted", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("--resume %v: error %v; want one containing %q", tc.args, err, tc.want)
		}
	}
}

// TestTrainSIGTERMSavesAndResumes: SIGTERM stops training after the current
// step with a checkpoint of it and advice to resume, which then finishes.
func TestTrainSIGTERMSavesAndResumes(t *testing.T) {
	needMNISTAndXLA(t)
	dir := filepath.Join(t.TempDir(), "run")
	cmd := latentCmd(nil, "train", "--out", dir, "--steps", "100000", "--train-limit", "640", "--test-limit", "64",
		"--eval-batch", "64", "--widths", "8", "--latent", "2", "--hidden", "0", "--batch-size", "32", "--save-every", "5")
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForNewCheckpoint(t, dir, 0)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 130 || !strings.Contains(errb.String(), "--resume") {
		t.Fatalf("after SIGTERM: exit %d (want 130), stderr:\n%s", code, errb.String())
	}
	ck, _, err := checkpoints.Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), fmt.Sprintf("interrupted at step %d", ck.Step)) {
		t.Errorf("the last checkpoint (step %d) is not the step training stopped at:\n%s", ck.Step, errb.String())
	}
	code, out, errOut := runLatent(t, nil, "train", "--out", dir, "--resume", "--steps", fmt.Sprint(ck.Step+3))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("to step %d", ck.Step+3)) || !strings.Contains(errOut, fmt.Sprintf("resuming %s at step %d", dir, ck.Step)) {
		t.Errorf("resume after SIGTERM: exit %d\n%s\n%s", code, out, errOut)
	}
}

// tinyTrainArgs train a tiny model on a slice of MNIST in a few seconds.
func tinyTrainArgs(dir string, more ...string) []string {
	return append([]string{"train", "--out", dir, "--train-limit", "640", "--test-limit", "64", "--eval-batch", "64",
		"--widths", "8", "--latent", "2", "--hidden", "0", "--batch-size", "32"}, more...)
}

// TestTrainRefusesAResumeWithNoLoadableCheckpoint: with every checkpoint
// damaged, --resume fails naming each file, and changes nothing (it once
// restarted from step 0 and overwrote them).
func TestTrainRefusesAResumeWithNoLoadableCheckpoint(t *testing.T) {
	needMNISTAndXLA(t)
	dir := filepath.Join(t.TempDir(), "run")
	if code, _, errOut := runLatent(t, nil, tinyTrainArgs(dir, "--steps", "4", "--save-every", "2")...); code != 0 {
		t.Fatalf("training: exit %d\n%s", code, errOut)
	}
	files, _ := checkpoints.List(dir)
	if len(files) != 2 {
		t.Fatalf("checkpoints %v, want 2", files)
	}
	before := map[string][]byte{}
	for _, f := range append(files, filepath.Join(dir, rundir.MetricsFile)) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".latent") {
			raw[len(raw)-1] ^= 1
			if err := os.WriteFile(f, raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		before[f] = raw
	}
	code, _, errOut := evLatent("train", "--out", dir, "--resume")
	if code == 0 {
		t.Fatalf("resume with only damaged checkpoints succeeded:\n%s", errOut)
	}
	for _, f := range files {
		if !strings.Contains(errOut, f) {
			t.Errorf("the error does not name %s:\n%s", f, errOut)
		}
	}
	for f, want := range before {
		if got, err := os.ReadFile(f); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s changed by the refused resume (%v)", f, err)
		}
	}
}

// TestTrainOneWriterPerRunFolder: a second trainer on a run folder is
// refused with the first one's pid; the kernel drops the lock when the
// first is killed, and the run resumes.
func TestTrainOneWriterPerRunFolder(t *testing.T) {
	needMNISTAndXLA(t)
	dir := filepath.Join(t.TempDir(), "run")
	first := latentCmd(nil, tinyTrainArgs(dir, "--steps", "100000", "--save-every", "5")...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	waitForNewCheckpoint(t, dir, 0)
	code, _, errOut := evLatent("train", "--out", dir, "--resume")
	if want := fmt.Sprintf("being trained by process %d", first.Process.Pid); code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("second trainer: exit %d, stderr %q; want a refusal saying %q", code, errOut, want)
	}
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	ck, _, err := checkpoints.Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := evLatent("train", "--out", dir, "--resume", "--steps", fmt.Sprint(ck.Step+2))
	if code != 0 || !strings.Contains(out, fmt.Sprintf("to step %d", ck.Step+2)) {
		t.Errorf("resume after the first trainer was killed: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestTrainFolderRules: a new run refuses a non-empty folder that is not a
// run (touching nothing in it), and a start that fails leaves no folder
// behind to block the retry.
func TestTrainFolderRules(t *testing.T) {
	needMNISTAndXLA(t)
	root := t.TempDir()
	other := filepath.Join(root, "photos")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(other, "ckpt-0000000001.latent")
	if err := os.WriteFile(keep, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := evLatent(tinyTrainArgs(other, "--steps", "1")...)
	if code == 0 || !strings.Contains(errOut, "not empty and holds no run") {
		t.Errorf("training into a non-run folder: exit %d, stderr %q", code, errOut)
	}
	if raw, err := os.ReadFile(keep); err != nil || string(raw) != "mine" {
		t.Errorf("a file in the refused folder changed: %q, %v", raw, err)
	}
	fresh := filepath.Join(root, "fresh")
	code, _, errOut = evLatent(tinyTrainArgs(fresh, "--steps", "1", "--init", filepath.Join(root, "no-such-run"))...)
	if code == 0 || !strings.Contains(errOut, "no-such-run") {
		t.Fatalf("a bad --init: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed first start left %s behind (%v)", fresh, err)
	}
	if code, out, errOut := evLatent(tinyTrainArgs(fresh, "--steps", "1")...); code != 0 || !strings.Contains(out, "to step 1") {
		t.Errorf("retry after a failed start: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestTrainDevicesSIGKILLResumesOnOneDevice kills a run training on two
// host devices; its latest checkpoint must load and --resume --devices 1
// must finish the run.
func TestTrainDevicesSIGKILLResumesOnOneDevice(t *testing.T) {
	needMNISTAndXLA(t)
	dir := filepath.Join(t.TempDir(), "run")
	cmd := latentCmd(nil, "train", "--out", dir, "--devices", "2", "--steps", "60", "--train-limit", "640", "--test-limit", "64",
		"--eval-batch", "64", "--widths", "8", "--latent", "2", "--batch-size", "32", "--save-every", "1", "--keep", "2")
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForNewCheckpoint(t, dir, 1)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if !strings.Contains(errb.String(), "training data-parallel on 2 devices") {
		t.Errorf("the killed run did not say it trained on 2 devices:\n%s", errb.String())
	}
	ck, skipped, err := checkpoints.Latest(dir)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("after the kill: latest checkpoint: %v (damaged: %v); stderr:\n%s", err, skipped, errb.String())
	}
	if ck.Step >= 60 {
		t.Fatalf("the run finished (step %d) before it was killed: make it longer", ck.Step)
	}
	code, out, errOut := runLatent(t, nil, "train", "--out", dir, "--resume", "--devices", "1")
	if code != 0 || !strings.Contains(out, "to step 60") || !strings.Contains(errOut, fmt.Sprintf("at step %d", ck.Step)) ||
		strings.Contains(errOut, "data-parallel") {
		t.Fatalf("resuming the 2-device run on one device from step %d: exit %d\n%s\n%s", ck.Step, code, out, errOut)
	}
}

// TestTrainDevicesErrors: --devices must be a number or all, must divide
// the batch size, may not exceed what the backend presents, and may be
// given with --resume.
func TestTrainDevicesErrors(t *testing.T) {
	testenv.XLA(t)
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--devices", "two"}, `--devices "two": want a positive number`},
		{[]string{"--devices", "0"}, `--devices "0"`},
		{[]string{"--devices", "4", "--batch-size", "30"}, "--devices 4: cannot split the batch over the devices: the batch size 30 does not divide by 4 devices"},
		{[]string{"--devices", "2", "--backend", "go"}, "--devices 2: too few devices"},
		{[]string{"--devices", "2", "--resume", "--out", dir}, "config.json is missing"}, // allowed with --resume
	}
	for _, tc := range tests {
		out := filepath.Join(dir, "run")
		args := append([]string{"train", "--out", out, "--steps", "1"}, tc.args...) // a later --out wins
		var stdout, stderr strings.Builder
		code := run(args, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("latent %v: exit %d, stderr %q; want failure mentioning %q", args, code, stderr.String(), tc.want)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("latent %v left %s behind", args, out)
		}
	}
}
