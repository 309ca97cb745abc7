package sprites

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIndexKnown checks Index against dSprites' latent_to_index on the
// bases 245760, 40960, 1024, 32, 1 (the notebook: image 32 is posX 1).
func TestIndexKnown(t *testing.T) {
	for _, tc := range []struct {
		values []int
		index  int
	}{
		{[]int{0, 0, 0, 0, 0}, 0},
		{[]int{0, 0, 0, 0, 1}, 1},
		{[]int{0, 0, 0, 1, 0}, 32},
		{[]int{0, 0, 1, 0, 0}, 1024},
		{[]int{0, 1, 0, 0, 0}, 40960},
		{[]int{1, 0, 0, 0, 0}, 245760},
		{[]int{2, 5, 39, 31, 31}, N - 1},
		{[]int{1, 2, 3, 4, 5}, 245760 + 2*40960 + 3*1024 + 4*32 + 5},
	} {
		if got := Index(tc.values); got != tc.index {
			t.Errorf("Index(%v) = %d, want %d", tc.values, got, tc.index)
		}
		if got := Values(tc.index); !slices.Equal(got, tc.values) {
			t.Errorf("Values(%d) = %v, want %v", tc.index, got, tc.values)
		}
	}
}

// TestIndexRoundTrip checks Values(Index(v)) == v on the grid's 32
// corners and on random points, and Index(Values(i)) == i.
func TestIndexRoundTrip(t *testing.T) {
	var points [][]int
	g := fullGrid()
	for c := range 1 << NumFactors {
		v := make([]int, NumFactors)
		for f := range v {
			if c>>f&1 == 1 {
				v[f] = g[f] - 1
			}
		}
		points = append(points, v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		points = append(points, Values(rng.IntN(N)))
	}
	for _, v := range points {
		i := Index(v)
		if i < 0 || i >= N || !slices.Equal(Values(i), v) {
			t.Fatalf("Values(Index(%v) = %d) = %v", v, i, Values(i))
		}
	}
	for i := range 5000 {
		if got := Index(Values(i * 147)); got != i*147 {
			t.Fatalf("Index(Values(%d)) = %d", i*147, got)
		}
	}
}

// TestCheck checks that values out of range are reported.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		values []int
		ok     bool
	}{
		{[]int{0, 0, 0, 0, 0}, true},
		{[]int{2, 5, 39, 31, 31}, true},
		{[]int{3, 0, 0, 0, 0}, false},
		{[]int{0, 6, 0, 0, 0}, false},
		{[]int{0, 0, 40, 0, 0}, false},
		{[]int{0, 0, 0, -1, 0}, false},
		{[]int{0, 0, 0, 0, 32}, false},
		{[]int{0, 0, 0, 0}, false},
	} {
		if err := Check(tc.values); (err == nil) != tc.ok {
			t.Errorf("Check(%v) = %v, want ok %v", tc.values, err, tc.ok)
		}
	}
}

// TestValue checks the continuous values against dSprites' metadata
// (latents_possible_values as the notebook prints them, 8 digits).
func TestValue(t *testing.T) {
	for _, tc := range []struct {
		factor, value int
		want          float64
	}{
		{Shape, 0, 1}, {Shape, 2, 3},
		{Scale, 0, 0.5}, {Scale, 1, 0.6}, {Scale, 5, 1},
		{Orientation, 0, 0}, {Orientation, 1, 0.16110732}, {Orientation, 13, 2.0943951},
		{Orientation, 39, 6.28318531},
		{X, 1, 0.03225806}, {X, 15, 0.48387097}, {X, 31, 1}, {Y, 16, 0.51612903},
	} {
		if got := Value(tc.factor, tc.value); !near(got, tc.want, 5e-9) {
			t.Errorf("Value(%d, %d) = %.9f, want %.8f", tc.factor, tc.value, got, tc.want)
		}
	}
}

// TestFactorValues checks the factor table of some images.
func TestFactorValues(t *testing.T) {
	idx := []int{0, 1, 32, N - 1, 12345}
	values := FactorValues(idx)
	if len(values) != len(idx)*NumFactors || !slices.Equal(Sizes(), []int{3, 6, 40, 32, 32}) {
		t.Fatalf("FactorValues: %d values, sizes %v", len(values), Sizes())
	}
	for k, i := range idx {
		row := values[k*NumFactors : (k+1)*NumFactors]
		if !slices.Equal(row, Values(i)) || Check(row) != nil {
			t.Errorf("row %d: %v, want %v", k, row, Values(i))
		}
	}
	if len(Names()) != NumFactors || N != fullGrid().len() || N != 737280 {
		t.Errorf("%d names, N %d, grid %d", len(Names()), N, fullGrid().len())
	}
	if math.Abs(Value(Orientation, 39)-2*math.Pi) > 1e-12 {
		t.Error("orientation 39 is not 2π")
	}
}
