package vae

import (
	"bytes"
	"io"
	"testing"
)

// TestSampleGridAndArray: the array holds the bytes of the codes Sample
// draws, decoded; the grid shows n of them; a conditional run's class grid
// has a row per class.
func TestSampleGridAndArray(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	pixels, used, err := s.SampleArray("normal", DefaultPriorSteps, 3, 5, 1, 0, false)
	if err != nil || used != "normal" {
		t.Fatalf("SampleArray: %v, prior %q", err, used)
	}
	codes, _, err := s.Sample("normal", DefaultPriorSteps, 3, 5, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.SampleImages(codes, nil)
	if err != nil || !bytes.Equal(pixels, want) {
		t.Errorf("SampleArray's %d bytes are not the samples of seed 5 (%v)", len(pixels), err)
	}
	img, _, err := s.SampleGrid("normal", DefaultPriorSteps, 4, 5, 1, nil, 1)
	if err != nil || img.Bounds().Dx() != 2*m.Width+1 || img.Bounds().Dy() != 2*m.Height+1 {
		t.Errorf("SampleGrid of 4: %v, %v; want 2×2 cells of %dx%d with a 1-pixel gap", err, img.Bounds(), m.Width, m.Height)
	}
	c := open(t, tinyRunOf(t, 3), io.Discard)
	plain, _, err := c.SampleGrid("normal", DefaultPriorSteps, 6, 5, 1, []int{0, 0, 1, 1, 2, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	grid, _, err := c.ClassGrid("normal", DefaultPriorSteps, 2, 5, 1, 1)
	if err != nil || !(grid.Bounds().Dy() >= 3*m.Height) || !(grid.Bounds().Dx() > plain.Bounds().Dx()/3*2-1) {
		t.Errorf("ClassGrid of 3 classes × 2: %v, %v; want 3 rows of 2 with their names", err, grid.Bounds())
	}
}
