package vae

import (
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestTraverseOrder: rows by decreasing KL, ties by dimension, or the
// dimensions as they are; and the KL they are ordered by.
func TestTraverseOrder(t *testing.T) {
	tests := []struct {
		kl    []float64
		order string
		want  []int
	}{
		{[]float64{0.1, 2, 0.5}, "kl", []int{1, 2, 0}},
		{[]float64{1, 1, 3}, "kl", []int{2, 0, 1}}, // ties keep dimension order
		{[]float64{0.1, 2, 0.5}, "dim", []int{0, 1, 2}},
	}
	for _, tc := range tests {
		if got := TraverseOrder(len(tc.kl), tc.kl, tc.order == "kl"); !slices.Equal(got, tc.want) {
			t.Errorf("traverseOrder(%v, %s) = %v, want %v", tc.kl, tc.order, got, tc.want)
		}
	}
	// KL(N(mu, e^lv) ‖ N(0,1)) per dimension, averaged over two images.
	kl := UnitKL([]float32{1, 0, 3, 0}, []float32{0, float32(math.Log(4)), 0, 0}, 2)
	if want := []float64{(0.5 + 4.5) / 2, (0.5*(4-math.Log(4)-1) + 0) / 2}; !(math.Abs(kl[0]-want[0]) <= 1e-6) || !(math.Abs(kl[1]-want[1]) <= 1e-6) {
		t.Errorf("unitKL = %v, want %v", kl, want)
	}
}

// TestTraverse: each row is one dimension's sweep, rows by decreasing KL,
// the frames show every row at one step, and the rows are named with
// their KL.
func TestTraverse(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	size := m.Height * m.Width * m.Channels
	start := &TraverseStart{Base: make([]float32, m.Latent), KL: []float64{0.5, 1, 2, 0.25}}
	plain, err := s.Traverse(start, 0, 3, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.Traverse(start, 0, 3, 2, true)
	if err != nil || len(tr.Images) != m.Latent*3*size {
		t.Fatalf("Traverse: %v, %d values, want %d", err, len(tr.Images), m.Latent*3*size)
	}
	order := []int{2, 1, 0, 3}
	if !slices.Equal(tr.Order, order) {
		t.Fatalf("rows %v, want %v (by decreasing KL)", tr.Order, order)
	}
	row := func(v []float32, r int) []float32 { return v[r*3*size : (r+1)*3*size] }
	for r, d := range order {
		if !slices.Equal(row(tr.Images, r), row(plain.Images, d)) {
			t.Errorf("row %d is not dimension %d's sweep", r, d)
		}
	}
	frames := tr.Frames(1)
	if len(frames) != 3 || frames[0].Bounds() != frames[2].Bounds() {
		t.Errorf("Frames: %d frames, want 3 of one size", len(frames))
	}
	if got := tr.Rows(); got != "z3 (KL 2.0000), z2 (KL 1.0000), z1 (KL 0.5000), z4 (KL 0.2500)" {
		t.Errorf("Rows = %q", got)
	}
	if g := tr.Grid(1); g.Bounds().Dx() <= 3*m.Width {
		t.Errorf("Grid is %d wide, want 3 columns and the row labels", g.Bounds().Dx())
	}
	l := TraverseLabels(order, start.KL, 3, 2)
	if got := strings.Join(l.Rows[0], " ") + "|" + strings.Join(l.Cols, " "); got != "z3 KL 2.00|-2 0 +2" {
		t.Errorf("TraverseLabels: %q, want row z3 KL 2.00 and columns -2 0 +2", got)
	}
}
