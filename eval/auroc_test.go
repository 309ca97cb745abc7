package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUROC(t *testing.T) {
	tests := []struct {
		name      string
		neg, pos  []float64
		want      float64
		wantError bool
	}{
		{name: "perfect separation", neg: []float64{1, 2, 3}, pos: []float64{4, 5}, want: 1},
		{name: "reversed", neg: []float64{4, 5}, pos: []float64{1, 2, 3}, want: 0},
		{name: "all tied", neg: []float64{2, 2, 2}, pos: []float64{2, 2}, want: 0.5},
		{name: "identical sets", neg: []float64{1, 2, 3}, pos: []float64{1, 2, 3}, want: 0.5},
		// pos 1 beats neg 0.5; pos 3 beats all three → 4 of 6 pairs.
		{name: "interleaved", neg: []float64{0.5, 1.5, 2.5}, pos: []float64{1, 3}, want: 4.0 / 6},
		// pos 1 beats 0.5; pos 2 beats 0.5 and 1.5 → 3 of 6 pairs.
		{name: "partial", neg: []float64{0.5, 1.5, 2.5}, pos: []float64{1, 2}, want: 3.0 / 6},
		// pos 2 vs neg {1,2,3}: 1 + 0.5 + 0 = 1.5; pos 4: 3 → 4.5/6.
		{name: "one tie", neg: []float64{1, 2, 3}, pos: []float64{2, 4}, want: 4.5 / 6},
		{name: "no negatives", pos: []float64{1}, wantError: true},
		{name: "no positives", neg: []float64{1}, wantError: true},
		{name: "NaN score", neg: []float64{1, math.NaN()}, pos: []float64{2}, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AUROC(tt.neg, tt.pos)
			if tt.wantError {
				if err == nil {
					t.Fatalf("AUROC(%v, %v) = %v, want an error", tt.neg, tt.pos, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !(math.Abs(got-tt.want) <= 1e-12) {
				t.Fatalf("AUROC(%v, %v) = %v, want %v", tt.neg, tt.pos, got, tt.want)
			}
		})
	}
}

// TestAUROCMatchesPairCount checks the rank formula against counting every
// pair, on random scores with many ties.
func TestAUROCMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		neg := make([]float64, 1+rng.IntN(40))
		pos := make([]float64, 1+rng.IntN(40))
		for i := range neg {
			neg[i] = float64(rng.IntN(10))
		}
		for i := range pos {
			pos[i] = float64(rng.IntN(10) + trial%3)
		}
		var wins float64
		for _, p := range pos {
			for _, n := range neg {
				switch {
				case p > n:
					wins++
				case p == n:
					wins += 0.5
				}
			}
		}
		want := wins / float64(len(pos)*len(neg))
		got, err := AUROC(neg, pos)
		if err != nil {
			t.Fatal(err)
		}
		if !(math.Abs(got-want) <= 1e-12) {
			t.Fatalf("trial %d: AUROC = %v, pair count gives %v", trial, got, want)
		}
	}
}
