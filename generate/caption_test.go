package generate

import (
	"image"
	"testing"
)

// TestGridCols: columns that fill every row where a divisor near √n does
// it, so that k = 8 is 4×2, not 3×3 with an empty cell.
func TestGridCols(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 4: 2, 5: 5, 7: 3, 8: 4, 9: 3, 12: 4, 32: 8, 64: 8} {
		if got := GridCols(n); got != want {
			t.Errorf("GridCols(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestCaptionedGrid: a band per row of cols, each as tall as a cell and its
// captions, as wide as a grid of cols.
func TestCaptionedGrid(t *testing.T) {
	const h, w = 4, 5
	images := make([]float32, 5*h*w)
	one := CaptionedGrid(images[:h*w], []string{"0:a"}, h, w, 1, 3, 2)
	img := CaptionedGrid(images, []string{"0:a", "1:b", "2:c", "3:d", "4:e"}, h, w, 1, 3, 2)
	if img.Bounds().Dy() != 2*one.Bounds().Dy() {
		t.Errorf("5 captioned images in rows of 3: height %d, want two bands of %d", img.Bounds().Dy(), one.Bounds().Dy())
	}
	if g := Grid(images[:3*h*w], 3, h, w, 1, 3, 2); img.Bounds().Dx() != g.Bounds().Dx() {
		t.Errorf("rows of 3 captioned images are %d wide, want a grid of 3's %d", img.Bounds().Dx(), g.Bounds().Dx())
	}
}

// TestFrames: frame t holds every row's t-th image, in order.
func TestFrames(t *testing.T) {
	// 2 rows of 3 steps of 1×1 grey images, the value of row r, step s
	// being (10r+s)/100.
	var images []float32
	for r := range 2 {
		for s := range 3 {
			images = append(images, float32(10*r+s)/100)
		}
	}
	frames := Frames(images, 2, 3, 1, 1, 1, 2, 1)
	if len(frames) != 3 {
		t.Fatalf("%d frames, want 3", len(frames))
	}
	for s, f := range frames {
		want := Grid([]float32{float32(s) / 100, float32(10+s) / 100}, 2, 1, 1, 1, 2, 1)
		if !samePixels(f, want) {
			t.Errorf("frame %d is not the grid of each row's image %d", s, s)
		}
	}
}

// samePixels reports whether a and b have the same bounds and colours.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
