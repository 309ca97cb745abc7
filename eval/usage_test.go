package eval

import (
	"math"
	"testing"
)

// TestUsage: the perplexity of the codes' frequencies is K when K codes
// are used equally, 1 when one takes all, exp(H) between; the fraction
// used counts the codes that occur.
func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name           string
		codes          []float32
		k              int
		perplexity, in float64
	}{
		{"all equally", []float32{0, 1, 2, 3, 3, 2, 1, 0}, 4, 4, 1},
		{"one takes all", []float32{2, 2, 2}, 8, 1, 1.0 / 8},
		{"three of four, 1:1:2", []float32{0, 1, 3, 3}, 4, math.Exp(-(0.25*math.Log(0.25)*2 + 0.5*math.Log(0.5))), 0.75},
	} {
		p, used := Usage(tc.codes, tc.k)
		if !(math.Abs(p-tc.perplexity) <= 1e-12) || used != tc.in {
			t.Errorf("%s: perplexity %v, used %v; want %v, %v", tc.name, p, used, tc.perplexity, tc.in)
		}
	}
}
