package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testenv"
)

// nthOfLabel returns the index of the n-th image (0: the first) of label
// in s, or -1.
func nthOfLabel(s *data.Split, label, n int) int {
	for i, l := range s.Labels {
		if l == label {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

// TestPickByLabel: interpolate, neighbors and traverse pick test images by
// class (the first, or the n-th with --which), and say which they picked.
func TestPickByLabel(t *testing.T) {
	dir := evRun(t)
	test := testenv.MNIST(t).Test.Subset(200) // the run's test split
	out := t.TempDir()
	three, eight := nthOfLabel(test, 3, 0), nthOfLabel(test, 8, 0)
	code, _, stderr := evLatent("interpolate", "--run", dir, "--from-label", "3", "--to-label", "8", "--frames", "3", "-o", filepath.Join(out, "i.gif"))
	want := fmt.Sprintf("from test image %d (label 3) to test image %d (label 8)", three, eight)
	if code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("interpolate --from-label 3 --to-label 8: exit %d, stderr %q; want %q", code, stderr, want)
	}
	secondThree := nthOfLabel(test, 3, 1)
	code, stdout, stderr := evLatent("neighbors", "--run", dir, "--image-label", "3", "--which", "1", "-k", "2", "-o", filepath.Join(out, "n.png"))
	if want := fmt.Sprintf("test image %d (label 3)", secondThree); code != 0 || !strings.Contains(stdout, want) {
		t.Errorf("neighbors --image-label 3 --which 1: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
	code, stdout, stderr = evLatent("traverse", "--run", dir, "--image-label", "8", "--steps", "3", "-o", filepath.Join(out, "t.png"))
	if want := fmt.Sprintf("around test image %d's code", eight); code != 0 || !strings.Contains(stdout, want) {
		t.Errorf("traverse --image-label 8: exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
	plain, numbered := filepath.Join(out, "r.png"), filepath.Join(out, "rn.png")
	for _, args := range [][]string{{"-o", plain}, {"-o", numbered, "--numbers"}} {
		if code, _, stderr := evLatent(append([]string{"reconstruct", "--run", dir, "-n", "20"}, args...)...); code != 0 {
			t.Fatalf("reconstruct %v: exit %d, stderr %q", args, code, stderr)
		}
	}
	// Two pairs of rows (10 columns), each pair under a band of captions.
	if p, n := readPNG(t, plain).Bounds(), readPNG(t, numbered).Bounds(); n.Dx() != p.Dx() || n.Dy() < p.Dy()+2*13 {
		t.Errorf("reconstruct --numbers: %v, without: %v; want the same width and a caption band over each pair of rows", n, p)
	}
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--from-label 11: not a class", []string{"interpolate", "--from-label", "11", "--to-label", "8"}},
		{"--index and --image-label both", []string{"neighbors", "--index", "2", "--image-label", "3"}},
		{"--which -1: want ≥ 0", []string{"traverse", "--image-label", "3", "--which", "-1"}},
	} {
		evMustFail(t, c.want, "", append(c.args[:1:1], append([]string{"--run", dir}, c.args[1:]...)...)...)
	}
}

// TestDataListAndNumbers: `latent data --split test --list` prints each
// test image's index and label; --numbers captions -o's grid, which shows
// every class.
func TestDataListAndNumbers(t *testing.T) {
	set := testenv.MNIST(t)
	code, stdout, stderr := evLatent("data", "--split", "test", "--list")
	if code != 0 {
		t.Fatalf("data --split test --list: exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != set.Test.N+1 || !strings.HasPrefix(lines[0], "index") {
		t.Fatalf("data --list: %d lines starting %q, want a header and %d images", len(lines), lines[0], set.Test.N)
	}
	for i, line := range lines[1:50] {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != strconv.Itoa(i) || f[1] != strconv.Itoa(set.Test.Labels[i]) {
			t.Fatalf("data --list line %d: %q, want index %d and label %d", i+1, line, i, set.Test.Labels[i])
		}
	}
	dir := t.TempDir()
	plain, numbered := filepath.Join(dir, "plain.png"), filepath.Join(dir, "numbered.png")
	for _, args := range [][]string{{"-o", plain}, {"-o", numbered, "--numbers"}} {
		code, stdout, stderr := evLatent(append([]string{"data", "--split", "test"}, args...)...)
		if code != 0 || !strings.Contains(stdout, "the first of each class in turn") {
			t.Fatalf("data %v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	p, n := readPNG(t, plain).Bounds(), readPNG(t, numbered).Bounds()
	if n.Dy() <= p.Dy() || n.Dx() != p.Dx() {
		t.Errorf("the numbered grid is %v, the plain one %v: want the same width and caption bands above each row", n, p)
	}
	// The preview's first row is one image of each class 0 to 7.
	picked := data.AcrossClasses(set.Test.Labels, 64)
	for c := range 8 {
		if set.Test.Labels[picked[c]] != c {
			t.Errorf("preview cell %d has label %d, want %d (one image of each class in turn)", c, set.Test.Labels[picked[c]], c)
		}
	}
	evMustFail(t, "--numbers captions the grid of -o", "", "data", "--numbers")
	evMustFail(t, "--split \"val\": want train or test", "", "data", "--split", "val")
}

// TestDataListFolderFiles: for an image folder, --list names each image's file.
func TestDataListFolderFiles(t *testing.T) {
	dir := evImageFolder(t, 10, 8, 8, false)
	code, stdout, stderr := evLatent("data", "--data", dir, "--split", "test", "--list")
	if code != 0 || !strings.Contains(stdout, "file") {
		t.Fatalf("data --list on a folder: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n")[1:] {
		f := strings.Fields(line)
		if _, err := os.Stat(filepath.Join(dir, f[len(f)-1])); err != nil {
			t.Errorf("data --list line %q: its file: %v", line, err)
		}
	}
}
