package embedding

import (
	"fmt"
	"math"
	"sort"
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
	all := make([]Neighbor, n)
	for i := range n {
		var s float64
		for j, q := range query {
			diff := float64(codes[i*d+j]) - float64(q)
			s += diff * diff
		}
		all[i] = Neighbor{Index: i, Distance: math.Sqrt(s)}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Distance < all[b].Distance })
	return all[:min(k, n)], nil
}
