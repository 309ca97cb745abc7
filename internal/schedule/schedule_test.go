package schedule

import (
	"math"
	"testing"
)

func TestLRAt(t *testing.T) {
	tests := []struct {
		name string
		s    LR
		step int64
		want float64
	}{
		{"constant", LR{Peak: 0.1, End: 100}, 50, 0.1},
		{"warm-up start", LR{Peak: 0.1, Warmup: 10, End: 100}, 0, 0.01},
		{"warm-up end", LR{Peak: 0.1, Warmup: 10, End: 100}, 9, 0.1},
		{"after warm-up, constant", LR{Peak: 0.1, Warmup: 10, End: 100}, 99, 0.1},
		{"cosine start", LR{Peak: 0.1, Cosine: true, End: 100}, 0, 0.1},
		{"cosine half-way", LR{Peak: 0.1, Cosine: true, End: 100}, 50, 0.05},
		{"cosine after warm-up", LR{Peak: 0.1, Warmup: 20, Cosine: true, End: 120}, 70, 0.05},
		{"cosine at the end", LR{Peak: 0.1, Cosine: true, End: 100}, 100, 0},
		{"cosine past the end", LR{Peak: 0.1, Cosine: true, End: 100}, 150, 0},
		{"cosine without span", LR{Peak: 0.1, Warmup: 10, Cosine: true, End: 10}, 10, 0.1},
	}
	for _, tc := range tests {
		if got := tc.s.At(tc.step); !(math.Abs(got-tc.want) <= 1e-12) {
			t.Errorf("%s: At(%d) = %v, want %v", tc.name, tc.step, got, tc.want)
		}
	}
}

// TestLRCosineExpression pins the cosine's arithmetic, operation for
// operation, to the expression train used before it was shared (π times
// the share done, not π·step/End, which rounds otherwise): a change of
// rounding changes trained weights.
func TestLRCosineExpression(t *testing.T) {
	const peak, steps = 0.003, 7919
	s := LR{Peak: peak, Cosine: true, End: steps}
	for step := range int64(steps) {
		want := peak * 0.5 * (1 + math.Cos(math.Pi*(float64(step)/float64(steps))))
		if got := s.At(step); got != want {
			t.Fatalf("At(%d) = %v, want %v bit for bit", step, got, want)
		}
	}
}
