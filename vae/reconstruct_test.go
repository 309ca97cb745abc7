package vae

import (
	"slices"
	"testing"

	"github.com/latent-vae/latent/data"
)

// TestReconLayout: pairs of rows of at most ReconMaxCols, each original
// above its reconstruction, the last pair padded with blank cells; and
// ReconCells counts the cells.
func TestReconLayout(t *testing.T) {
	// Image i of n holds the value 1000+i (originals) or 2000+i
	// (reconstructions); blank cells are mid grey, 128/255.
	const blank = float32(128.0 / 255)
	for _, tc := range []struct {
		n, cols int
		cells   []float32 // one value per cell
	}{
		{3, 3, []float32{1000, 1001, 1002, 2000, 2001, 2002}},
		{5, 5, nil},
		{17, 9, []float32{
			1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008,
			2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008,
			1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, blank,
			2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016, blank}},
		{16, 16, nil},
		{20, 10, nil},
		{21, 11, nil},
		{33, 11, nil},
	} {
		orig, recon := make([]float32, tc.n), make([]float32, tc.n)
		for i := range tc.n {
			orig[i], recon[i] = float32(1000+i), float32(2000+i)
		}
		cells, cols := ReconLayout(orig, recon, tc.n, 1)
		if cols != tc.cols {
			t.Errorf("n=%d: %d columns, want %d", tc.n, cols, tc.cols)
		}
		if got := ReconCells(tc.n); got != len(cells) {
			t.Errorf("n=%d: ReconCells %d, want the layout's %d cells", tc.n, got, len(cells))
		}
		if len(cells)%(2*cols) != 0 {
			t.Fatalf("n=%d: %d cells do not fill pairs of rows of %d", tc.n, len(cells), cols)
		}
		if tc.cells != nil && !slices.Equal(cells, tc.cells) {
			t.Errorf("n=%d: cells %v, want %v", tc.n, cells, tc.cells)
		}
		// Every original sits directly above its reconstruction.
		seen := 0
		for i, v := range cells {
			row, col := i/cols, i%cols
			if row%2 == 0 && v != blank {
				seen++
				if below := cells[(row+1)*cols+col]; below != v+1000 {
					t.Errorf("n=%d: below original %v is %v", tc.n, v, below)
				}
			}
		}
		if seen != tc.n {
			t.Errorf("n=%d: %d originals laid out", tc.n, seen)
		}
	}
}

// TestReconPick: the first image of each class in turn, so that a test
// split sorted by class shows every class; with first, the first n.
func TestReconPick(t *testing.T) {
	sorted := &data.Split{Labels: []int{0, 0, 0, 1, 1, 1, 2, 2, 2}, N: 9}
	if got, want := ReconPick(sorted, 4, false), []int{0, 3, 6, 1}; !slices.Equal(got, want) {
		t.Errorf("ReconPick(sorted by class, 4) = %v, want %v", got, want)
	}
	if got, want := ReconPick(sorted, 4, true), []int{0, 1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("ReconPick(first, 4) = %v, want %v", got, want)
	}
}
