package data

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTestPNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadImageFile(t *testing.T) {
	dir := t.TempDir()
	// A 4×2 image: left half pure red, right half white, one transparent pixel.
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for y := range 2 {
		for x := range 4 {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= 2 {
				c = color.NRGBA{255, 255, 255, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	img.SetNRGBA(3, 1, color.NRGBA{255, 255, 255, 0})
	path := filepath.Join(dir, "a.png")
	writeTestPNG(t, path, img)

	rgb, err := ReadImageFile(path, 2, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0}
	for i := range want {
		if rgb[i] != want[i] {
			t.Fatalf("RGB pixels = %v, want %v (transparent over black)", rgb, want)
		}
	}
	grey, err := ReadImageFile(path, 2, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(grey) != 8 || math.Abs(float64(grey[0])-0.299) > 0.002 || grey[2] != 1 || grey[7] != 0 {
		t.Errorf("grey pixels = %v, want red at luma 0.299, white 1, transparent 0", grey)
	}
	// Resizing: 4×2 → 2×2 halves the width, keeping the colour halves apart.
	small, err := ReadImageFile(path, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(small) != 12 || small[0] < 0.9 || small[1] > 0.1 || small[4] < 0.9 {
		t.Errorf("resized pixels = %v, want red then white columns", small)
	}
}

func TestReadImageFileErrors(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "x.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.png"), notImage} {
		_, err := ReadImageFile(path, 8, 8, 1)
		if err == nil {
			t.Errorf("ReadImageFile(%s) succeeded", path)
		} else if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name %s", err, path)
		}
	}
}
