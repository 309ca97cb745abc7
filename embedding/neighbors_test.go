package embedding

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
)

func TestNearest(t *testing.T) {
	// Five 2-D codes on a line at x = 0, 1, 2, 3, 4, and one at (1, 0) again.
	codes := []float32{0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 1, 0}
	tests := []struct {
		name    string
		query   []float32
		k       int
		want    []int
		wantErr bool
	}{
		{name: "nearest first", query: []float32{2.9, 0}, k: 3, want: []int{3, 2, 4}},
		{name: "ties by index", query: []float32{1, 0}, k: 2, want: []int{1, 5}},
		{name: "k above n", query: []float32{0, 0}, k: 10, want: []int{0, 1, 5, 2, 3, 4}},
		{name: "off axis", query: []float32{4, 3}, k: 1, want: []int{4}},
		{name: "k zero", query: []float32{0, 0}, k: 0, wantErr: true},
		{name: "wrong dimension", query: []float32{0, 0, 0, 0, 0}, k: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Nearest(tt.query, codes, tt.k)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Nearest gave %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var idx []int
			for _, nb := range got {
				idx = append(idx, nb.Index)
			}
			if !reflect.DeepEqual(idx, tt.want) {
				t.Fatalf("Nearest indices %v, want %v", idx, tt.want)
			}
		})
	}
	got, _ := Nearest([]float32{4, 3}, codes, 1)
	if !(math.Abs(got[0].Distance-3) <= 1e-12) {
		t.Errorf("distance from (4,3) to (4,0) = %v, want 3", got[0].Distance)
	}
}

// TestNearestMatchesStableSort checks the heap selection against sorting
// every code by distance, stably, on codes with many ties.
func TestNearestMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d = 200, 3
	codes := make([]float32, n*d)
	for i := range codes {
		codes[i] = float32(rng.IntN(4)) // small integers: many equal distances
	}
	for _, k := range []int{1, 7, n, n + 5} {
		query := []float32{1.5, 2, 0}
		got, err := Nearest(query, codes, k)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]Neighbor, n)
		for i := range n {
			want[i] = Neighbor{Index: i, Distance: math.Sqrt(sqDistance(codes[i*d:(i+1)*d], query))}
		}
		sort.SliceStable(want, func(a, b int) bool { return want[a].Distance < want[b].Distance })
		if !reflect.DeepEqual(got, want[:min(k, n)]) {
			t.Errorf("k = %d: Nearest %v, want %v", k, got, want[:min(k, n)])
		}
	}
}
