package embedding

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// clusterPoints returns n 10-D points in 3 tight clusters, point i in
// cluster i%3.
func clusterPoints() (pts []float64, n, d, clusters int) {
	rng := rand.New(rand.NewPCG(1, 2))
	n, d, clusters = 300, 10, 3
	pts = make([]float64, n*d)
	for i := range n {
		for j := range d {
			pts[i*d+j] = 0.3*rng.NormFloat64() + float64(4*((i%clusters+j)%clusters))
		}
	}
	return pts, n, d, clusters
}

// mixedNeighbours counts the points of a map whose nearest other point is
// of another cluster (point i is in cluster i%clusters).
func mixedNeighbours(m [][2]float64, clusters int) int {
	wrong := 0
	for i, p := range m {
		best, bestD := -1, 0.0
		for j, q := range m {
			dx, dy := p[0]-q[0], p[1]-q[1]
			if dd := dx*dx + dy*dy; j != i && (best < 0 || dd < bestD) {
				best, bestD = j, dd
			}
		}
		if best%clusters != i%clusters {
			wrong++
		}
	}
	return wrong
}

// TestTSNEDeterministic: the same points and seed give the same map
// whatever the number of CPUs, and the map keeps clusters apart: each
// point's nearest other point in 2-D is of its own cluster.
func TestTSNEDeterministic(t *testing.T) {
	pts, n, d, clusters := clusterPoints()
	o := TSNE{Seed: 5}
	old := runtime.GOMAXPROCS(1)
	one, err := o.Embed(pts, d)
	runtime.GOMAXPROCS(max(old, 2))
	two, err2 := o.Embed(pts, d)
	runtime.GOMAXPROCS(old)
	if err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	if !slices.Equal(one, two) {
		t.Error("t-SNE: the map on one CPU differs from the map on two")
	}
	if wrong := mixedNeighbours(one, clusters); wrong > 0 {
		t.Errorf("%d of %d points have a nearest neighbour of another cluster in the t-SNE map", wrong, n)
	}
	if _, err := (TSNE{}).Embed(pts[:3*d], d); err == nil {
		t.Error("t-SNE of 3 points: no error")
	}
}

// TestUMAPDeterministic: the same points and seed give the same UMAP map,
// bit for bit, on one CPU and on two (its neighbour search runs in
// parallel chunks; the layout on one goroutine). Pure Go float64, on one
// machine: bit-equality is promised here.
func TestUMAPDeterministic(t *testing.T) {
	pts, _, d, _ := clusterPoints()
	o := UMAP{Seed: 3} // the defaults, as `latent map --method umap`
	old := runtime.GOMAXPROCS(1)
	one, err := o.Embed(pts, d)
	runtime.GOMAXPROCS(max(old, 2))
	two, err2 := o.Embed(pts, d)
	runtime.GOMAXPROCS(old)
	if err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	if !slices.Equal(one, two) {
		diff := 0
		for i := range one {
			if one[i] != two[i] {
				diff++
			}
		}
		t.Errorf("UMAP: the map on one CPU differs from the map on two at %d of %d points", diff, len(one))
	}
}

// TestUMAPSeparates: UMAP gives the same map for a seed, another for
// another seed, and keeps clusters apart.
func TestUMAPSeparates(t *testing.T) {
	pts, n, d, clusters := clusterPoints()
	a, err := UMAP{Seed: 1}.Embed(pts, d)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := UMAP{Seed: 1}.Embed(pts, d)
	c, _ := UMAP{Seed: 2}.Embed(pts, d)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Errorf("UMAP: seed 1 twice gave the same map %v, seeds 1 and 2 different ones %v; want both", slices.Equal(a, b), !slices.Equal(a, c))
	}
	if wrong := mixedNeighbours(a, clusters); wrong > 0 {
		t.Errorf("%d of %d points have a nearest neighbour of another cluster in the UMAP map", wrong, n)
	}
}
