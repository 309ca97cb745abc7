package eval

import (
	"math"
	"testing"
)

func TestUnitVariancesAndActiveUnits(t *testing.T) {
	// Three units over four codes: constant, small spread, large spread.
	codes := []float32{
		1, 0.00, -2,
		1, 0.10, 2,
		1, 0.00, -2,
		1, 0.10, 2,
	}
	v := UnitVariances(codes, 3)
	want := []float64{0, 0.01 / 3, 16.0 / 3}
	for u := range want {
		if !(math.Abs(v[u]-want[u]) <= 1e-6) {
			t.Errorf("variance of unit %d = %v, want %v", u, v[u], want[u])
		}
	}
	for _, tt := range []struct {
		threshold float64
		want      int
	}{{ActiveThreshold, 1}, {0.001, 2}, {-1, 3}, {100, 0}} {
		if got := ActiveUnits(v, tt.threshold); got != tt.want {
			t.Errorf("ActiveUnits(threshold %v) = %d, want %d", tt.threshold, got, tt.want)
		}
	}
}
