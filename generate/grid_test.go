package generate

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

func TestGridSize(t *testing.T) {
	tests := []struct {
		name                    string
		n, h, w, c, cols, scale int
		wantWidth, wantHeight   int
	}{
		{"one image", 1, 28, 28, 1, 0, 1, 28, 28},
		{"square", 64, 28, 28, 1, 8, 3, 8*84 + 7, 8*84 + 7},
		{"auto columns", 10, 2, 3, 1, 0, 1, 4*3 + 3, 3*2 + 2},
		{"partial last row", 5, 4, 4, 3, 2, 2, 2*8 + 1, 3*8 + 2},
		{"one row", 3, 5, 7, 3, 3, 1, 3*7 + 2, 5},
		{"scale below 1", 4, 2, 2, 1, 2, 0, 2*2 + 1, 2*2 + 1},
		{"no images", 0, 28, 28, 1, 0, 2, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := Grid(make([]float32, tt.n*tt.h*tt.w*tt.c), tt.n, tt.h, tt.w, tt.c, tt.cols, tt.scale)
			b := img.Bounds()
			if b.Dx() != tt.wantWidth || b.Dy() != tt.wantHeight || b.Min != (image.Point{}) {
				t.Errorf("bounds %v, want %dx%d from the origin", b, tt.wantWidth, tt.wantHeight)
			}
			switch img.(type) {
			case *image.Gray:
				if tt.c != 1 {
					t.Errorf("got *image.Gray for %d channels", tt.c)
				}
			case *image.RGBA:
				if tt.c != 3 {
					t.Errorf("got *image.RGBA for %d channels", tt.c)
				}
			default:
				t.Errorf("got %T", img)
			}
		})
	}
}

func TestGridGreyPixels(t *testing.T) {
	// Three 2x2 images in 2 columns at scale 2: cells 4x4, separators 1.
	images := []float32{
		0, 0.5, 1, 0,
		1, 1, 1, 1,
		0.2, -3, float32(math.NaN()), 7,
	}
	g := Grid(images, 3, 2, 2, 1, 2, 2).(*image.Gray)
	tests := []struct {
		x, y int
		want uint8
	}{
		{0, 0, 0}, {1, 1, 0}, // image 0, pixel (0,0) scaled
		{2, 0, 128}, {3, 1, 128}, // image 0, pixel (1,0) = 0.5
		{0, 2, 255}, {1, 3, 255}, // image 0, pixel (0,1) = 1
		{4, 0, separator}, {4, 3, separator}, // the column separator
		{5, 0, 255}, {8, 3, 255}, // image 1
		{0, 4, separator}, {8, 4, separator}, // the row separator
		{0, 5, 51}, {2, 5, 0}, {0, 7, 0}, {3, 8, 255}, // image 2: 0.2, clamped -3, NaN, clamped 7
		{5, 5, separator}, {8, 8, separator}, // the empty cell
	}
	for _, tt := range tests {
		if got := g.GrayAt(tt.x, tt.y).Y; got != tt.want {
			t.Errorf("pixel (%d,%d) = %d, want %d", tt.x, tt.y, got, tt.want)
		}
	}
}

func TestGridRGBPixels(t *testing.T) {
	// Two 1x1 colour images side by side at scale 3.
	images := []float32{1, 0, 0, 0, 0.5, 1}
	g := Grid(images, 2, 1, 1, 3, 0, 3).(*image.RGBA)
	tests := []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, color.RGBA{255, 0, 0, 255}},
		{2, 2, color.RGBA{255, 0, 0, 255}},
		{3, 1, color.RGBA{separator, separator, separator, 255}},
		{4, 0, color.RGBA{0, 128, 255, 255}},
		{6, 2, color.RGBA{0, 128, 255, 255}},
	}
	for _, tt := range tests {
		if got := g.RGBAAt(tt.x, tt.y); got != tt.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
}

func TestGridPanics(t *testing.T) {
	tests := []struct {
		name   string
		values int
		n, c   int
	}{
		{"four channels", 16, 1, 4},
		{"too few values", 7, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Grid did not panic")
				}
			}()
			Grid(make([]float32, tt.values), tt.n, 2, 2, tt.c, 0, 1)
		})
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	img := Grid([]float32{0, 1, 0.5, 0.25}, 1, 2, 2, 1, 1, 1)
	path := filepath.Join(dir, "grid.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := got.(*image.Gray); !ok || g.GrayAt(1, 0).Y != 255 || g.GrayAt(1, 1).Y != 64 {
		t.Errorf("decoded %T with pixels %v, want grey 255 at (1,0) and 64 at (1,1)", got, got.At(1, 0))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d files, want only grid.png", len(entries))
	}
	err = WritePNG(filepath.Join(dir, "no-such-folder", "x.png"), img)
	if err == nil || !strings.Contains(err.Error(), "x.png") {
		t.Errorf("writing into a missing folder: %v, want an error naming x.png", err)
	}
}
