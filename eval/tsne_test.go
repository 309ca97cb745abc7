package eval

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestTSNEDeterministic: the same points and seed give the same map
// whatever the number of CPUs, and the map keeps clusters apart: each
// point's nearest other point in 2-D is of its own cluster.
func TestTSNEDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, d, clusters = 300, 10, 3
	pts := make([]float64, n*d)
	for i := range n {
		for j := range d {
			pts[i*d+j] = 0.3*rng.NormFloat64() + float64(4*((i%clusters+j)%clusters))
		}
	}
	o := TSNE{Seed: 5}
	old := runtime.GOMAXPROCS(1)
	one, err := o.Embed(pts, d)
	runtime.GOMAXPROCS(max(old, 2))
	two, err2 := o.Embed(pts, d)
	runtime.GOMAXPROCS(old)
	if err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	for i := range one {
		if one[i] != two[i] {
			t.Fatalf("point %d: %v on one CPU, %v on two", i, one[i], two[i])
		}
	}
	wrong := 0
	for i, p := range one {
		best, bestD := -1, 0.0
		for j, q := range one {
			dx, dy := p[0]-q[0], p[1]-q[1]
			if dd := dx*dx + dy*dy; j != i && (best < 0 || dd < bestD) {
				best, bestD = j, dd
			}
		}
		if best%clusters != i%clusters {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d points have a nearest neighbour of another cluster in the map", wrong, n)
	}
	if _, err := (TSNE{}).Embed(pts[:3*d], d); err == nil {
		t.Error("t-SNE of 3 points: no error")
	}
}
