package main

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"
)

// TestMapTSNE: `latent map --method tsne` (and umap) is deterministic for
// a seed, changes with it, and separates the classes better than PCA: the
// share of points nearest their own class's mean in the 2-D map is higher.
func TestMapTSNE(t *testing.T) {
	// A latent that has begun to sort the digits: 8-D, 400 steps on 4000
	// training images, mapped on 500 test images.
	dir := tinyRun(t, 8, 4000, 500, 400, 64)
	out := t.TempDir()
	csvOf := func(name string, args ...string) [][]float64 {
		t.Helper()
		path := filepath.Join(out, name+".csv")
		code, _, stderr := evLatent(append([]string{"map", "--run", dir, "-o", path}, args...)...)
		if code != 0 {
			t.Fatalf("map %v: exit %d, stderr %q", args, code, stderr)
		}
		return readMapCSV(t, path)
	}
	pca := csvOf("pca")
	accPCA := classMeanAccuracy(pca)
	for _, method := range []string{"tsne", "umap"} {
		a, b := csvOf(method+"a", "--method", method, "--seed", "3"), csvOf(method+"b", "--method", method, "--seed", "3")
		c := csvOf(method+"c", "--method", method, "--seed", "4")
		same, differ := true, false
		for i := range a {
			same = same && a[i][2] == b[i][2] && a[i][3] == b[i][3]
			differ = differ || a[i][2] != c[i][2]
		}
		if !same || !differ {
			t.Errorf("%s maps: the same seed gave the same map %v (want true), another seed a different one %v (want true)", method, same, differ)
		}
		acc := classMeanAccuracy(a)
		t.Logf("nearest-class-mean accuracy in 2-D: PCA %.3f, %s %.3f", accPCA, method, acc)
		if !(acc > accPCA) {
			t.Errorf("nearest-class-mean accuracy: %s %.3f, PCA %.3f; want %s's above", method, acc, accPCA, method)
		}
	}
	evMustFail(t, `--method "umap2": want pca, tsne or umap`, "", "map", "--run", dir, "--method", "umap2")
}

// readMapCSV reads map's CSV: index, label, x, y per row.
func readMapCSV(t *testing.T, path string) [][]float64 {
	t.Helper()
	rows := readCSV(t, path)
	if len(rows) < 2 || rows[0][3] != "y" {
		t.Fatalf("%s: %d rows, header %v", path, len(rows), rows[0])
	}
	out := make([][]float64, len(rows)-1)
	for i, r := range rows[1:] {
		for _, s := range r {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("%s row %d: %v", path, i+1, err)
			}
			out[i] = append(out[i], v)
		}
	}
	return out
}

// classMeanAccuracy returns the share of points (index, label, x, y) whose
// nearest class mean is their own class's.
func classMeanAccuracy(pts [][]float64) float64 {
	sum, count := map[int][2]float64{}, map[int]float64{}
	for _, p := range pts {
		l := int(p[1])
		s := sum[l]
		sum[l], count[l] = [2]float64{s[0] + p[2], s[1] + p[3]}, count[l]+1
	}
	right := 0
	for _, p := range pts {
		best, bestD := -1, math.Inf(1)
		for l, s := range sum {
			dx, dy := p[2]-s[0]/count[l], p[3]-s[1]/count[l]
			if d := dx*dx + dy*dy; d < bestD || d == bestD && l < best {
				best, bestD = l, d
			}
		}
		if best == int(p[1]) {
			right++
		}
	}
	return float64(right) / float64(len(pts))
}
