package embedding

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Neighbor is one code found near a query.
type Neighbor struct {
	Index    int     // the code's index in the searched set
	Distance float64 // Euclidean distance to the query
}

// Nearest returns the k codes of codes (n of them, flat [n*len(query)])
// nearest the query in Euclidean distance, nearest first; ties go to the
// lower index. It returns all n when k exceeds n.
func Nearest(query, codes []float32, k int) ([]Neighbor, error) {
	d := len(query)
	if d == 0 || len(codes)%d != 0 {
		return nil, fmt.Errorf("nearest neighbours: %d values are not a whole number of %d-dimensional codes", len(codes), d)
	}
	if k < 1 {
		return nil, fmt.Errorf("nearest neighbours: k = %d, want at least 1", k)
	}
	n := len(codes) / d
	dist := make([]float64, n)
	for i := range n {
		dist[i] = math.Sqrt(sqDistance(codes[i*d:(i+1)*d], query))
	}
	row := make([]int, min(k, n))
	nearest(dist, row)
	found := make([]Neighbor, len(row))
	for t, i := range row {
		found[t] = Neighbor{Index: i, Distance: dist[i]}
	}
	return found, nil
}

// sqDistance returns the squared Euclidean distance between a and b (of
// one length), summed in coordinate order.
func sqDistance[A, B float32 | float64](a []A, b []B) float64 {
	var s float64
	for t, v := range a {
		diff := float64(v) - float64(b[t])
		s += diff * diff
	}
	return s
}

// nearest fills row with the indices of the len(row) smallest of dist,
// nearest first (ties by index), through a max-heap of the best so far.
func nearest(dist []float64, row []int) {
	k := len(row)
	less := func(a, b int) bool { return dist[a] < dist[b] || dist[a] == dist[b] && a < b }
	h := row[:0]
	down := func(at int) {
		for {
			c := 2*at + 1
			if c >= len(h) {
				return
			}
			if c+1 < len(h) && less(h[c], h[c+1]) {
				c++
			}
			if !less(h[at], h[c]) {
				return
			}
			h[at], h[c] = h[c], h[at]
			at = c
		}
	}
	for j := range dist {
		switch {
		case len(h) < k:
			h = append(h, j)
			for at := len(h) - 1; at > 0 && less(h[(at-1)/2], h[at]); at = (at - 1) / 2 {
				h[at], h[(at-1)/2] = h[(at-1)/2], h[at]
			}
		case less(j, h[0]):
			h[0] = j
			down(0)
		}
	}
	slices.SortFunc(row, func(a, b int) int { return cmp.Or(cmp.Compare(dist[a], dist[b]), cmp.Compare(a, b)) })
}
