package embedding

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/latent-vae/latent/internal/parallel"
)

// TSNE configures a Barnes-Hut t-SNE (van der Maaten 2014): a 2-D map of
// points that keeps each point's nearest neighbours near it, so that
// classes a PCA projection overlaps come apart.
//
// It is deterministic for a seed: the same points and options give the
// same map on any number of CPUs (work is split in fixed chunks and summed
// in order).
type TSNE struct {
	Perplexity float64 // effective number of neighbours (default 30)
	Iterations int     // gradient steps (default 750)
	Theta      float64 // Barnes-Hut accuracy: 0 is exact, larger is faster (default 0.5)
	Seed       int64   // seeds the initial map
}

// tsneChunks is the number of fixed chunks the points are split into for
// parallel work; fixed so that results do not depend on the CPU count.
const tsneChunks = 32

// Embed returns the 2-D map of the n points given flat in points (d values
// each), as [n][2].
func (o TSNE) Embed(points []float64, d int) ([][2]float64, error) {
	if d < 1 || len(points)%d != 0 {
		return nil, fmt.Errorf("t-SNE: %d values are not a whole number of %d-D points", len(points), d)
	}
	n := len(points) / d
	perplexity := cmp.Or(o.Perplexity, 30)
	iters := cmp.Or(o.Iterations, 750)
	theta := o.Theta
	if theta == 0 {
		theta = 0.5
	}
	switch {
	case n < 4:
		return nil, fmt.Errorf("t-SNE: %d points, want at least 4", n)
	case !(perplexity > 0):
		return nil, errors.New("t-SNE: the perplexity must be above 0")
	case theta < 0:
		return nil, errors.New("t-SNE: theta must be ≥ 0")
	}
	perplexity = min(perplexity, float64(n-1)/3)
	k := min(n-1, int(3*perplexity))
	p := affinities(points, n, d, k, perplexity)
	return descend(p, n, iters, theta, o.Seed), nil
}

// sparseP holds the symmetric affinities: row i's neighbours cols[start[i]:start[i+1]].
type sparseP struct {
	start []int
	cols  []int
	vals  []float64
}

// affinities returns the symmetrised input affinities over each point's k
// nearest neighbours, each row's Gaussian bandwidth set by binary search
// to the perplexity.
func affinities(points []float64, n, d, k int, perplexity float64) sparseP {
	nbrs, dist := knn(points, n, d, k)
	cond := make([]float64, n*k)
	target := math.Log(perplexity)
	sq := make([]float64, k)
	for i := range n {
		for t, v := range dist[i*k : (i+1)*k] {
			sq[t] = v * v
		}
		bandwidth(sq, cond[i*k:(i+1)*k], target)
	}
	// Symmetrise: P_ij = (p_j|i + p_i|j) / 2n.
	type entry struct {
		i, j int
		v    float64
	}
	entries := make([]entry, 0, 2*n*k)
	for i := range n {
		for t, j := range nbrs[i*k : (i+1)*k] {
			v := cond[i*k+t] / float64(2*n)
			entries = append(entries, entry{i, j, v}, entry{j, i, v})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j)) })
	p := sparseP{start: make([]int, n+1)}
	for t, e := range entries {
		if t > 0 && e.i == entries[t-1].i && e.j == entries[t-1].j {
			p.vals[len(p.vals)-1] += e.v
			continue
		}
		p.cols, p.vals = append(p.cols, e.j), append(p.vals, e.v)
		p.start[e.i+1] = len(p.cols)
	}
	for i := range n { // rows without entries keep the previous end
		p.start[i+1] = max(p.start[i+1], p.start[i])
	}
	return p
}

// bandwidth fills rowP with the conditional probabilities of neighbours
// at squared distances sq (nearest first) under the Gaussian whose entropy
// is target nats.
func bandwidth(sq, rowP []float64, target float64) {
	beta, lo, hi := 1.0, 0.0, math.Inf(1)
	base := sq[0]
	for range 64 {
		var sum, sumDP float64
		for t, v := range sq {
			rowP[t] = math.Exp(-beta * (v - base))
			sum += rowP[t]
			sumDP += (v - base) * rowP[t]
		}
		h := math.Log(sum) + beta*sumDP/sum
		for t := range rowP {
			rowP[t] /= sum
		}
		if math.Abs(h-target) < 1e-5 {
			return
		}
		if h > target {
			lo = beta
			if math.IsInf(hi, 1) {
				beta *= 2
			} else {
				beta = (beta + hi) / 2
			}
		} else {
			hi = beta
			beta = (beta + lo) / 2
		}
	}
}

// descend runs the gradient descent of t-SNE from a seeded random map.
func descend(p sparseP, n, iters int, theta float64, seed int64) [][2]float64 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x75e))
	y := make([][2]float64, n)
	for i := range y {
		y[i] = [2]float64{1e-4 * rng.NormFloat64(), 1e-4 * rng.NormFloat64()}
	}
	update := make([][2]float64, n)
	gains := make([][2]float64, n)
	for i := range gains {
		gains[i] = [2]float64{1, 1}
	}
	grad := make([][2]float64, n)
	rep := make([][2]float64, n)
	sums := make([]float64, tsneChunks)
	lr := max(200, float64(n)/12)
	var tree *quadTree
	const exaggerationIters = 250
	for it := range iters {
		exaggeration, momentum := 1.0, 0.8
		if it < exaggerationIters {
			exaggeration, momentum = 12, 0.5
		}
		tree = tree.rebuild(y)
		parallel.Chunks(n, tsneChunks, func(c, lo, hi int) {
			var sumQ float64
			for i := lo; i < hi; i++ {
				rep[i] = [2]float64{}
				sumQ += tree.repulse(0, i, y[i], theta*theta, &rep[i])
				var ax, ay float64
				for t := p.start[i]; t < p.start[i+1]; t++ {
					j := p.cols[t]
					dx, dy := y[i][0]-y[j][0], y[i][1]-y[j][1]
					q := 1 / (1 + dx*dx + dy*dy)
					ax += p.vals[t] * q * dx
					ay += p.vals[t] * q * dy
				}
				grad[i] = [2]float64{exaggeration * ax, exaggeration * ay}
			}
			sums[c] = sumQ
		})
		var z float64
		for _, s := range sums { // in chunk order: deterministic
			z += s
		}
		var mean [2]float64
		for i := range y {
			for a := range 2 {
				g := 4 * (grad[i][a] - rep[i][a]/z)
				if (g > 0) != (update[i][a] > 0) {
					gains[i][a] += 0.2
				} else {
					gains[i][a] = max(gains[i][a]*0.8, 0.01)
				}
				update[i][a] = momentum*update[i][a] - lr*gains[i][a]*g
				y[i][a] += update[i][a]
				mean[a] += y[i][a] / float64(n)
			}
		}
		for i := range y {
			y[i][0] -= mean[0]
			y[i][1] -= mean[1]
		}
	}
	return y
}

// quadTree is a Barnes-Hut tree over 2-D points: each node holds its
// points' count and centre of mass, and four children or, as a leaf, one
// point (or several at one spot).
type quadTree struct {
	nodes []quadNode
	y     [][2]float64
}

type quadNode struct {
	cx, cy, half float64 // the square's centre and half its side
	mass         [2]float64
	count        int
	point        int      // a leaf's point (-1: an inner node)
	child        [4]int32 // 0: none
}

// rebuild returns the tree of the points y, reusing t's memory (t may be nil).
func (t *quadTree) rebuild(y [][2]float64) *quadTree {
	if t == nil {
		t = &quadTree{nodes: make([]quadNode, 0, 2*len(y))}
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range y {
		x0, y0, x1, y1 = min(x0, p[0]), min(y0, p[1]), max(x1, p[0]), max(y1, p[1])
	}
	half := max(x1-x0, y1-y0)/2 + 1e-5
	t.y, t.nodes = y, append(t.nodes[:0], quadNode{cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, half: half, point: -1})
	for i := range y {
		t.insert(0, i)
	}
	return t
}

// insert adds point i under node at.
func (t *quadTree) insert(at, i int) {
	p := t.y[i]
	for {
		nd := &t.nodes[at]
		nd.count++
		f := 1 / float64(nd.count)
		nd.mass[0] += (p[0] - nd.mass[0]) * f
		nd.mass[1] += (p[1] - nd.mass[1]) * f
		if nd.count == 1 {
			nd.point = i
			return
		}
		if nd.point >= 0 { // a leaf: split it, unless p is where its points are
			if t.y[nd.point] == p || nd.half < 1e-12 {
				return // points at one spot stay together in the leaf
			}
			old, n := nd.point, nd.count-1
			nd.point = -1
			c := t.childFor(at, t.y[old])
			t.nodes[c].count, t.nodes[c].mass, t.nodes[c].point = n, t.y[old], old
		}
		at = t.childFor(at, p)
	}
}

// childFor returns the index of at's child holding p, creating it.
func (t *quadTree) childFor(at int, p [2]float64) int {
	nd := t.nodes[at]
	q := 0
	cx, cy, h := nd.cx-nd.half/2, nd.cy-nd.half/2, nd.half/2
	if p[0] >= nd.cx {
		q, cx = q+1, nd.cx+h
	}
	if p[1] >= nd.cy {
		q, cy = q+2, nd.cy+h
	}
	if c := nd.child[q]; c != 0 {
		return int(c)
	}
	t.nodes = append(t.nodes, quadNode{cx: cx, cy: cy, half: h, point: -1})
	c := len(t.nodes) - 1
	t.nodes[at].child[q] = int32(c)
	return c
}

// repulse adds to force the repulsion on point i at p from the points
// under node at, unnormalised (each q² (p − y_j)), and returns their sum
// of q = 1/(1 + |p − y_j|²). Points at p itself (i and its duplicates)
// count as one less.
func (t *quadTree) repulse(at, i int, p [2]float64, theta2 float64, force *[2]float64) float64 {
	var stack [256]int32
	stack[0] = int32(at)
	top := 1
	var sum, fx, fy float64
	for top > 0 {
		top--
		nd := &t.nodes[stack[top]]
		if nd.count == 0 {
			continue
		}
		dx, dy := p[0]-nd.mass[0], p[1]-nd.mass[1]
		d2 := dx*dx + dy*dy
		leaf := nd.point >= 0
		if leaf || 4*nd.half*nd.half < theta2*d2 {
			count := float64(nd.count)
			if leaf && d2 == 0 {
				count-- // the point itself, alone or among duplicates
			}
			q := 1 / (1 + d2)
			cq := count * q
			sum += cq
			fx += cq * q * dx
			fy += cq * q * dy
			continue
		}
		for _, c := range nd.child {
			if c != 0 && top < len(stack) {
				stack[top] = c
				top++
			}
		}
	}
	force[0] += fx
	force[1] += fy
	return sum
}
