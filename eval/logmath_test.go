package eval

import (
	"math"
	"testing"
)

func TestLogMeanExp(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"single", []float64{3.5}, 3.5},
		{"equal values", []float64{-2, -2, -2, -2}, -2},
		{"zeros and log3", []float64{0, math.Log(3)}, math.Log(2)},
		{"very negative", []float64{-1e4, -1e4}, -1e4},
		{"very negative, spread", []float64{-1e4, -1e4 + math.Log(3)}, -1e4 + math.Log(2)},
		{"very positive", []float64{1e4, 1e4 + math.Log(3)}, 1e4 + math.Log(2)},
		{"dominated", []float64{-1e4, 0}, -math.Log(2)},
		{"minus infinity adds nothing", []float64{math.Inf(-1), 1}, 1 - math.Log(2)},
		{"all minus infinity", []float64{math.Inf(-1), math.Inf(-1)}, math.Inf(-1)},
		{"plus infinity", []float64{1, math.Inf(1)}, math.Inf(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LogMeanExp(tt.xs)
			if math.IsInf(tt.want, 0) {
				if got != tt.want {
					t.Fatalf("LogMeanExp(%v) = %v, want %v", tt.xs, got, tt.want)
				}
				return
			}
			if !(math.Abs(got-tt.want) <= 1e-9*max(1, math.Abs(tt.want))) {
				t.Fatalf("LogMeanExp(%v) = %.12g, want %.12g", tt.xs, got, tt.want)
			}
		})
	}
}

func TestLogMeanExpSpecial(t *testing.T) {
	if got := LogMeanExp(nil); !math.IsNaN(got) {
		t.Errorf("LogMeanExp(nil) = %v, want NaN", got)
	}
	if got := LogMeanExp([]float64{1, math.NaN(), 2}); !math.IsNaN(got) {
		t.Errorf("LogMeanExp with a NaN = %v, want NaN", got)
	}
}

// TestLogSumExpStreaming checks that adding values in any order and in
// chunks gives the direct sum, on values whose exp does not overflow.
func TestLogSumExpStreaming(t *testing.T) {
	xs := []float64{-3, 5, 0.25, -40, 5, 12, -1, 7.5, 11.9}
	var direct float64
	for _, x := range xs {
		direct += math.Exp(x)
	}
	want := math.Log(direct)
	orders := map[string][]float64{
		"given":      xs,
		"increasing": {-40, -3, -1, 0.25, 5, 5, 7.5, 11.9, 12},
		"decreasing": {12, 11.9, 7.5, 5, 5, 0.25, -1, -3, -40},
	}
	for name, order := range orders {
		var s LogSumExp
		s.AddAll(order[:4])
		s.AddAll(order[4:])
		if got := s.Sum(); !(math.Abs(got-want) <= 1e-12) {
			t.Errorf("%s order: Sum = %.15g, want %.15g", name, got, want)
		}
		if s.N() != len(xs) {
			t.Errorf("%s order: N = %d, want %d", name, s.N(), len(xs))
		}
	}
}
