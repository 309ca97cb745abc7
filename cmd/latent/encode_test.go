package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/vae"
)

// numpyArray is an array as numpyLoadJSON prints it.
type numpyArray struct {
	Dtype  string    `json:"dtype"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

// numpyLoadJSON loads path with numpy.load, without allow_pickle, and
// returns its arrays: an .npz file's by name, an .npy file's as "".
func numpyLoadJSON(t *testing.T, path string) map[string]numpyArray {
	t.Helper()
	python := testenv.PythonNumpy(t)
	script := `
import json, sys, numpy as np
z = np.load(sys.argv[1], allow_pickle=False)
arrays = {k: z[k] for k in z.files} if isinstance(z, np.lib.npyio.NpzFile) else {"": z}
print(json.dumps({k: {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.ravel().tolist()} for k, a in arrays.items()}))
`
	var out map[string]numpyArray
	testenv.PythonJSON(t, &out, python, nil, "-c", script, path)
	return out
}

// checkArray fails unless a is an array of dtype and shape holding want.
func checkArray[T float32 | int32 | int](t *testing.T, name string, a numpyArray, dtype string, shape []int, want []T) {
	t.Helper()
	if a.Dtype != dtype || !slices.Equal(a.Shape, shape) || len(a.Values) != len(want) {
		t.Errorf("%s: numpy reads %s %v (%d values), want %s %v (%d)", name, a.Dtype, a.Shape, len(a.Values), dtype, shape, len(want))
		return
	}
	for i, w := range want {
		if a.Values[i] != float64(w) {
			t.Errorf("%s[%d] = %v in numpy, latent computed %v", name, i, a.Values[i], w)
			return
		}
	}
}

// TestEncodeNumpy: `latent encode`'s .npz holds mean, logvar and labels
// as numpy.load reads them (no pickle), each the dtype, shape and values
// latent's encoder computes; its .npy holds the means alone; -o - writes
// the .npz's bytes to stdout; --limit and --split choose the images.
func TestEncodeNumpy(t *testing.T) {
	runDir, _ := genTestRunOf(t, 1, 3, nil)
	out := t.TempDir()
	npz, npy := filepath.Join(out, "codes.npz"), filepath.Join(out, "codes.npy")
	genMustRun(t, "encode", "--run", runDir, "--split", "test", "-o", npz)
	genMustRun(t, "encode", "--run", runDir, "--split", "test", "-o", npy)

	s, set := openTestRunData(t, runDir)
	m, err := s.EvalModel(1000)
	if err != nil {
		t.Fatal(err)
	}
	mean, logVar, err := m.Encode(set.Test.Images(), set.Test.Labels)
	if err != nil {
		t.Fatal(err)
	}
	n, d := set.Test.N, s.Model.Latent
	if slices.Equal(mean, logVar) {
		t.Fatal("the means equal the log-variances: the test cannot tell them apart")
	}
	arrays := numpyLoadJSON(t, npz)
	if len(arrays) != 3 {
		t.Errorf("the .npz holds %d arrays, want mean, logvar and labels", len(arrays))
	}
	checkArray(t, "mean", arrays["mean"], "<f4", []int{n, d}, mean)
	checkArray(t, "logvar", arrays["logvar"], "<f4", []int{n, d}, logVar)
	checkArray(t, "labels", arrays["labels"], "<i8", []int{n}, set.Test.Labels)
	if slices.Equal(set.Test.Labels, make([]int, n)) {
		t.Error("every label is 0: the test cannot tell labels from zeros")
	}
	checkArray(t, ".npy", numpyLoadJSON(t, npy)[""], "<f4", []int{n, d}, mean)

	code, stdout, stderr := genLatent("encode", "--run", runDir, "--split", "test", "-o", "-")
	if code != 0 || !bytes.Equal([]byte(stdout), mustRead(t, npz)) {
		t.Errorf("-o -: exit %d, %d bytes on stdout equal to the file's: %v\n%s", code, len(stdout), bytes.Equal([]byte(stdout), mustRead(t, npz)), stderr)
	}
	if !strings.Contains(stderr, "wrote stdout: 12 test images") {
		t.Errorf("-o -: the summary %q is not on stderr", stderr)
	}

	train := filepath.Join(out, "train.npz")
	genMustRun(t, "encode", "--run", runDir, "--limit", "5", "-o", train)
	trainMean, _, err := m.Encode(set.Train.Subset(5).Images(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := numpyLoadJSON(t, train)
	checkArray(t, "train mean", got["mean"], "<f4", []int{5, d}, trainMean)
	checkArray(t, "train labels", got["labels"], "<i8", []int{5}, set.Train.Labels[:5])
}

// TestEncodeUsage: bad flags exit 2 naming the flag, writing nothing.
func TestEncodeUsage(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	for _, tc := range []struct {
		want string
		args []string
	}{
		{`--split "valid": want train or test`, []string{"--split", "valid", "-o", filepath.Join(out, "c.npz")}},
		{"--limit -1", []string{"--limit", "-1", "-o", filepath.Join(out, "c.npz")}},
		{"unknown extension .txt; want .npz or .npy", []string{"-o", filepath.Join(out, "c.txt")}},
		{"does not exist", []string{"-o", filepath.Join(out, "no", "c.npz")}},
	} {
		code, _, stderr := genLatent(append([]string{"encode", "--run", runDir}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("latent encode %v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, _, stderr := genLatent("encode", "-o", filepath.Join(out, "c.npz")); code != 2 || !strings.Contains(stderr, "--run") {
		t.Errorf("no --run: exit %d, %q; want 2 naming --run", code, stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused commands left %d files, e.g. %s", len(entries), entries[0].Name())
	}
}

// TestEncodeVQ: a VQ run's .npz holds its codebook indices [N, H, W] as
// int32, the encoder's, in place of mean and logvar; its .npy the indices.
func TestEncodeVQ(t *testing.T) {
	needMNISTAndXLA(t)
	tmp := t.TempDir()
	run := filepath.Join(tmp, "run")
	if code, _, errOut := genLatent("train", "--out", run, "--model", "vq", "--codebook", "16",
		"--train-limit", "64", "--test-limit", "32", "--eval-batch", "32", "--widths", "8,16", "--latent", "4",
		"--batch-size", "32", "--steps", "2", "--quiet"); code != 0 {
		t.Fatalf("training a VQ run: exit %d\n%s", code, errOut)
	}
	npz, npy := filepath.Join(tmp, "c.npz"), filepath.Join(tmp, "c.npy")
	genMustRun(t, "encode", "--run", run, "--split", "test", "--limit", "10", "-o", npz)
	genMustRun(t, "encode", "--run", run, "--split", "test", "--limit", "10", "-o", npy)
	s, set := openTestRunData(t, run)
	sub := vae.LimitSplit(set.Test, 10)
	codes, err := s.Encode(sub.Images(), sub.Labels)
	if err != nil {
		t.Fatal(err)
	}
	dims := s.Model.Kind().Code().Dimensions
	indices := make([]int32, len(codes))
	for i, v := range codes {
		indices[i] = int32(v)
	}
	got := numpyLoadJSON(t, npz)
	if _, ok := got["mean"]; ok || len(got) != 2 {
		t.Errorf("a VQ run's .npz holds %d arrays (mean: %v), want indices and labels", len(got), ok)
	}
	shape := []int{10, dims[0], dims[1]}
	checkArray(t, "indices", got["indices"], "<i4", shape, indices)
	checkArray(t, "labels", got["labels"], "<i8", []int{10}, sub.Labels)
	checkArray(t, ".npy", numpyLoadJSON(t, npy)[""], "<i4", shape, indices)
}

// TestEncodeDataDir: encode, probe and factors read a named set's files
// from --data-dir. The test run's IDX folder, given as the files of
// --data mnist, is read (encode writes its codes); a folder without them
// fails with an error naming that folder, writing nothing.
func TestEncodeDataDir(t *testing.T) {
	runDir, _ := genTestRunOf(t, 1, 3, nil)
	files, empty, out := filepath.Join(filepath.Dir(runDir), "data"), t.TempDir(), t.TempDir()
	genMustRun(t, "encode", "--run", runDir, "--data", "mnist", "--data-dir", files, "--split", "test", "-o", filepath.Join(out, "good.npz"))
	for _, args := range [][]string{
		{"encode", "-o", filepath.Join(out, "c.npz")},
		{"probe", "--labels", "6", "--draws", "1"},
		{"factors", "--train", "10", "--eval", "10"},
	} {
		args = append(args, "--run", runDir, "--data", "mnist", "--data-dir", empty)
		code, _, stderr := genLatent(args...)
		if code == 0 || !strings.Contains(stderr, "MNIST files not found in "+empty) {
			t.Errorf("latent %v: exit %d, %q; want a failure naming %s", args, code, stderr, empty)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("%d files in the output folder, want good.npz alone", len(entries))
	}
}
