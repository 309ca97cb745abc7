package vae

import (
	"testing"

	"github.com/latent-vae/latent/data"
)

// TestPreviewGrid: rows of 8 cells upscaled 3 times; numbered, each row
// under a band of captions, so taller.
func TestPreviewGrid(t *testing.T) {
	sp := &data.Split{Pixels: make([]uint8, 10*2*2), Labels: make([]int, 10), N: 10, Height: 2, Width: 2, Channels: 1}
	set := &data.Set{Classes: []string{"a"}, Train: sp, Test: sp}
	indices := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	plain := PreviewGrid(set, sp, indices, false)
	if b := plain.Bounds(); b.Dx() != 8*6+7 || b.Dy() != 2*6+1 {
		t.Errorf("9 images in rows of 8 at scale 3: %v, want 55x13", b)
	}
	if numbered := PreviewGrid(set, sp, indices, true); numbered.Bounds().Dy() <= plain.Bounds().Dy() {
		t.Errorf("numbered grid %v is no taller than the plain %v", numbered.Bounds(), plain.Bounds())
	}
}
