package embedding

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/latent-vae/latent/internal/parallel"
)

// UMAP configures a 2-D UMAP (McInnes, Healy and Melville 2018) of points:
// a fuzzy graph of each point's nearest neighbours, laid out by stochastic
// gradient descent with negative sampling, from a seeded random start
// (UMAP's init="random"), with min_dist 0.1 and spread 1. It is
// deterministic for a seed: the layout runs on one goroutine.
type UMAP struct {
	Neighbors int   // nearest neighbours of each point (default 15)
	Epochs    int   // passes of the layout (default 200 from 10,000 points, else 500)
	Seed      int64 // seeds the start and the negative samples
}

// The curve 1/(1 + a·d^(2b)) that UMAP fits for min_dist 0.1, spread 1.
const umapA, umapB = 1.576943460405378, 0.8950608781227859

// Embed returns the 2-D map of the n points given flat in points (d values
// each), as [n][2].
func (o UMAP) Embed(points []float64, d int) ([][2]float64, error) {
	if d < 1 || len(points)%d != 0 {
		return nil, fmt.Errorf("UMAP: %d values are not a whole number of %d-D points", len(points), d)
	}
	n := len(points) / d
	if n < 4 {
		return nil, fmt.Errorf("UMAP: %d points, want at least 4", n)
	}
	k := min(cmp.Or(o.Neighbors, 15), n-1)
	epochs := cmp.Or(o.Epochs, 500)
	if o.Epochs == 0 && n >= 10000 {
		epochs = 200
	}
	nbrs, dist := knn(points, n, d, k)
	edges := fuzzyGraph(nbrs, dist, n, k)
	return layout(edges, n, epochs, o.Seed), nil
}

// knn returns each point's k nearest others (nearest first) and their
// Euclidean distances, flat [n*k].
func knn(points []float64, n, d, k int) ([]int, []float64) {
	nbrs := make([]int, n*k)
	dists := make([]float64, n*k)
	parallel.Chunks(n, tsneChunks, func(_, lo, hi int) {
		sq := make([]float64, n)
		for i := lo; i < hi; i++ {
			xi := points[i*d : (i+1)*d]
			for j := range n {
				sq[j] = sqDistance(points[j*d:(j+1)*d], xi)
			}
			sq[i] = math.Inf(1)
			row := nbrs[i*k : (i+1)*k]
			nearest(sq, row)
			for t, j := range row {
				dists[i*k+t] = math.Sqrt(sq[j])
			}
		}
	})
	return nbrs, dists
}

// umapEdge is an edge of the fuzzy graph with its weight.
type umapEdge struct {
	i, j int
	w    float64
}

// fuzzyGraph returns the edges of the symmetrised fuzzy neighbour graph:
// each point's membership strengths exp(−(d − ρ)/σ), ρ its nearest
// distance and σ such that they sum to log2(k), combined as a + b − a·b.
func fuzzyGraph(nbrs []int, dist []float64, n, k int) []umapEdge {
	w := make(map[[2]int]float64, n*k)
	target := math.Log2(float64(k))
	for i := range n {
		row := dist[i*k : (i+1)*k]
		rho := row[0]
		lo, hi, sigma := 0.0, math.Inf(1), 1.0
		for range 64 {
			var s float64
			for _, x := range row {
				s += math.Exp(-max(0, x-rho) / sigma)
			}
			if math.Abs(s-target) < 1e-5 {
				break
			}
			if s > target {
				hi = sigma
				sigma = (lo + hi) / 2
			} else {
				lo = sigma
				if math.IsInf(hi, 1) {
					sigma *= 2
				} else {
					sigma = (lo + hi) / 2
				}
			}
		}
		for t, j := range nbrs[i*k : (i+1)*k] {
			w[[2]int{i, j}] = math.Exp(-max(0, row[t]-rho) / max(sigma, 1e-3*meanOf(row)))
		}
	}
	edges := make([]umapEdge, 0, 2*len(w))
	for i := range n { // in a fixed order: the map's is random
		for _, j := range nbrs[i*k : (i+1)*k] {
			a, b := w[[2]int{i, j}], w[[2]int{j, i}]
			s := a + b - a*b
			edges = append(edges, umapEdge{i, j, s})
			if _, both := w[[2]int{j, i}]; !both {
				edges = append(edges, umapEdge{j, i, s})
			}
		}
	}
	return edges
}

// meanOf returns the mean of xs.
func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// layout places the graph's points in 2-D by UMAP's stochastic gradient
// descent: each edge pulls its ends together once every maxW/w epochs, and
// each pull comes with five pushes of its first end from random points.
func layout(edges []umapEdge, n, epochs int, seed int64) [][2]float64 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x0a4a9))
	y := make([][2]float64, n)
	for i := range y {
		y[i] = [2]float64{20*rng.Float64() - 10, 20*rng.Float64() - 10}
	}
	maxW := 0.0
	for _, e := range edges {
		maxW = max(maxW, e.w)
	}
	const negative = 5
	every := make([]float64, len(edges))
	next, nextNeg := make([]float64, len(edges)), make([]float64, len(edges))
	for t, e := range edges {
		every[t] = math.Inf(1)
		if e.w >= maxW/float64(epochs) {
			every[t] = maxW / e.w
		}
		next[t], nextNeg[t] = every[t], every[t]/negative
	}
	clip := func(v float64) float64 { return max(-4, min(4, v)) }
	for epoch := range epochs {
		alpha := 1 - float64(epoch)/float64(epochs)
		for t, e := range edges {
			if next[t] > float64(epoch) {
				continue
			}
			yi, yj := &y[e.i], &y[e.j]
			dx, dy := yi[0]-yj[0], yi[1]-yj[1]
			d2 := dx*dx + dy*dy
			if d2 > 0 {
				g := -2 * umapA * umapB * math.Pow(d2, umapB-1) / (1 + umapA*math.Pow(d2, umapB))
				gx, gy := clip(g*dx)*alpha, clip(g*dy)*alpha
				yi[0], yi[1] = yi[0]+gx, yi[1]+gy
				yj[0], yj[1] = yj[0]-gx, yj[1]-gy
			}
			next[t] += every[t]
			samples := int((float64(epoch) - nextNeg[t]) / (every[t] / negative))
			for range samples {
				o := rng.IntN(n)
				if o == e.i {
					continue
				}
				dx, dy := yi[0]-y[o][0], yi[1]-y[o][1]
				d2 := dx*dx + dy*dy
				gx, gy := 4.0, 4.0
				if d2 > 0 {
					g := 2 * umapB / ((0.001 + d2) * (1 + umapA*math.Pow(d2, umapB)))
					gx, gy = clip(g*dx), clip(g*dy)
				}
				yi[0], yi[1] = yi[0]+gx*alpha, yi[1]+gy*alpha
			}
			nextNeg[t] += float64(samples) * every[t] / negative
		}
	}
	return y
}
