package vae

import (
	"io"
	"strings"
	"testing"
)

// TestNeighborsOf: among its own split the query is left out, neighbours
// come nearest first, and the row holds the query and each of them; an
// index past the split is refused naming --index.
func TestNeighborsOf(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.NeighborsOf(set, set.Test, 2, "", 0, 3, true, 8)
	if err != nil || len(r.Found) != 3 || r.PoolName != "test" {
		t.Fatalf("NeighborsOf(2 among test): %v, %d found in %q", err, len(r.Found), r.PoolName)
	}
	for i, nb := range r.Found {
		if nb.Index == 2 {
			t.Errorf("neighbour %d is the query itself", i)
		}
		if i > 0 && !(r.Found[i-1].Distance <= nb.Distance) {
			t.Errorf("neighbour %d at %v is nearer than neighbour %d at %v", i, nb.Distance, i-1, r.Found[i-1].Distance)
		}
	}
	if img := r.Row(set.Test, 1); img.Bounds().Dx() != 4*s.Model.Width+3 {
		t.Errorf("row of the query and 3 neighbours is %d wide, want %d", img.Bounds().Dx(), 4*s.Model.Width+3)
	}
	if _, err := s.NeighborsOf(set, set.Test, set.Test.N, "", 0, 3, false, 8); err == nil || !strings.HasPrefix(err.Error(), "--index 16: out of range") {
		t.Errorf("NeighborsOf(past the split): %v", err)
	}
}
