package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/latent-vae/latent/data"
)

func TestNeighborsCommand(t *testing.T) {
	dir := evRun(t)
	set, err := data.Load(data.MNIST, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	out := filepath.Join(tmp, "nn.png")
	line := regexp.MustCompile(`(?m)^ *(\d+)\. (training|test) image (\d+) \(label (\d+)\), distance ([0-9.]+)$`)
	for _, among := range []string{"train", "test"} {
		code, stdout, stderr := evLatent("neighbors", "--run", dir, "--index", "3", "-k", "4", "--among", among, "-o", out)
		if code != 0 {
			t.Fatalf("latent neighbors --among %s: exit %d: %s", among, code, stderr)
		}
		found := line.FindAllStringSubmatch(stdout, -1)
		if len(found) != 4 {
			t.Fatalf("--among %s: stdout %q: want 4 ranked neighbours", among, stdout)
		}
		pool := set.Train
		if among == "test" {
			pool = set.Test
		}
		img := readPNG(t, out)
		if b := img.Bounds(); b.Dx() != 5*84+4 || b.Dy() != 84 {
			t.Errorf("--among %s: %s is %dx%d, want one row of 5 cells", among, out, b.Dx(), b.Dy())
		}
		if !evSame(evCell(img, 0, 0, 28, 28, 3), set.Test.Image(3)) {
			t.Errorf("--among %s: the first cell is not the query, test image 3", among)
		}
		last := 0.0
		for r, f := range found {
			idx, _ := strconv.Atoi(f[3])
			label, _ := strconv.Atoi(f[4])
			dist, _ := strconv.ParseFloat(f[5], 64)
			if !(dist >= last) {
				t.Errorf("--among %s: neighbour %d at distance %v, nearer than the one before (%v)", among, r+1, dist, last)
			}
			last = dist
			if among == "test" && idx == 3 {
				t.Errorf("--among test: the query is its own neighbour")
			}
			if idx >= 500 || label != pool.Labels[idx] {
				t.Errorf("--among %s: neighbour %v: index beyond the run's 500 images or wrong label", among, f[0])
			}
			if !evSame(evCell(img, 0, r+1, 28, 28, 3), pool.Image(idx)) {
				t.Errorf("--among %s: cell %d is not image %d", among, r+1, idx)
			}
		}
	}
	out2 := filepath.Join(tmp, "nn2.png")
	evMustFail(t, "--index 200: out of range: the test split of mnist has 200 images (0 to 199)", out2,
		"neighbors", "--run", dir, "--index", "200", "-o", out2)
	evMustFail(t, "--index 50: out of range", out2,
		"neighbors", "--run", dir, "--index", "50", "--limit", "50", "-o", out2)
}

func TestNeighborsFlagErrors(t *testing.T) {
	run := t.TempDir()
	missing := filepath.Join(run, "nope")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--run", run}, "--index: the query's index"},
		{[]string{"--run", run, "--index", "1", "-k", "0"}, "-k 0"},
		{[]string{"--run", run, "--index", "1", "--among", "validation"}, `--among "validation"`},
		{[]string{"--run", missing, "--index", "1"}, missing},
		{[]string{"--index", "1"}, "--run: a run folder is required"},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "nn.png")
		evMustFail(t, tt.want, out, append(append([]string{"neighbors"}, tt.args...), "-o", out)...)
	}
}
