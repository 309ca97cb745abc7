package probe

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/internal/parallel"
)

// searchBlock is how many query rows the blocked search takes at once:
// their squared distances to every point are held together (searchBlock
// × n float64s per worker: 61 MB for 60,000 points).
const searchBlock = 128

// nearestRows returns, for each row of queries, the k rows of points
// nearest it in Euclidean distance, nearest first, ties going to the lower
// index; with self, queries are points and each row leaves itself out (by
// index: a duplicate of it is still found, at distance 0). It computes the
// distances of a block of queries to every point at once as
// |q|² + |p|² − 2 q·p, the products through gonum's blocked matrix
// multiply, so the search costs one n_q × n × dim product, about half the
// time of embedding.Nearest's one query at a time, coordinate by
// coordinate (measured on 60,000 codes of 16 dimensions). The distances it
// returns are the square roots of those sums, clamped at 0, whose rounding
// can differ from summing the squared differences in the last bits (exact
// for integer coordinates).
func nearestRows(queries, points *mat.Dense, k int, self bool) ([][]embedding.Neighbor, error) {
	nq, dim := queries.Dims()
	n, pd := points.Dims()
	switch {
	case pd != dim:
		return nil, fmt.Errorf("nearest neighbours: %d-dimensional queries, %d-dimensional points", dim, pd)
	case k < 1:
		return nil, fmt.Errorf("nearest neighbours: k = %d, want at least 1", k)
	case self && k > n-1 || !self && k > n:
		return nil, fmt.Errorf("nearest neighbours: k = %d of %d points", k, n)
	}
	qsq, psq := rowNorms(queries), rowNorms(points)
	var pt mat.Dense // the points as columns: the product's fast layout in gonum
	pt.CloneFrom(points.T())
	out := make([][]embedding.Neighbor, nq)
	blocks := (nq + searchBlock - 1) / searchBlock
	parallel.Ranges(blocks, func(_, lo, hi int) {
		if lo == hi {
			return
		}
		buf := mat.NewDense(min(searchBlock, nq), n, nil)
		for b := lo; b < hi; b++ {
			r0, r1 := b*searchBlock, min((b+1)*searchBlock, nq)
			prod := buf.Slice(0, r1-r0, 0, n).(*mat.Dense)
			prod.Mul(queries.Slice(r0, r1, 0, dim), &pt)
			for r := r0; r < r1; r++ {
				dots := prod.RawRowView(r - r0)
				skip := -1
				if self {
					skip = r
				}
				out[r] = smallest(dots, qsq[r], psq, skip, k)
			}
		}
	})
	return out, nil
}

// smallest returns the k points nearest a query whose dot products with
// the points are dots and squared norm qsq (the points' are psq), nearest
// first, ties to the lower index, leaving out index skip: a sorted list
// of the best so far, which a point enters only by beating its last.
func smallest(dots []float64, qsq float64, psq []float64, skip, k int) []embedding.Neighbor {
	best := make([]embedding.Neighbor, 0, k)
	for j, dot := range dots {
		if j == skip {
			continue
		}
		d := max(qsq+psq[j]-2*dot, 0)
		if len(best) == k && !(d < best[k-1].Distance) {
			continue // later indices lose ties
		}
		if len(best) < k {
			best = append(best, embedding.Neighbor{})
		}
		at := len(best) - 1
		for ; at > 0 && d < best[at-1].Distance; at-- {
			best[at] = best[at-1]
		}
		best[at] = embedding.Neighbor{Index: j, Distance: d}
	}
	for t := range best {
		best[t].Distance = math.Sqrt(best[t].Distance)
	}
	return best
}

// rowNorms returns the squared Euclidean norm of each row of x.
func rowNorms(x *mat.Dense) []float64 {
	n, _ := x.Dims()
	out := make([]float64, n)
	for i := range n {
		row := x.RawRowView(i)
		out[i] = floats.Dot(row, row)
	}
	return out
}
