package generate

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// separator is the grey of the 1-pixel lines between grid cells and of
// cells left empty.
const separator = 128

// Grid lays out n images (NHWC float32 in [0,1], h×w×c each, c = 1 or 3) in a grid with cols columns
// (cols <= 0: as square as n allows: cols = ceil(sqrt(n))), 1-pixel separators between cells, each pixel
// upscaled scale× by nearest neighbour; grey (*image.Gray) when c == 1, *image.RGBA when c == 3.
//
// The grid is cols*(w*scale)+(cols-1) pixels wide and rows*(h*scale)+(rows-1)
// high, with rows = ceil(n/cols); separators and empty cells are mid grey.
// Values outside [0,1] are clamped, NaN is 0, and scale < 1 means 1. Grid
// panics if c is not 1 or 3 or images holds fewer than n*h*w*c values.
func Grid(images []float32, n, h, w, c, cols, scale int) image.Image {
	if c != 1 && c != 3 {
		panic(fmt.Sprintf("generate.Grid: %d channels, want 1 or 3", c))
	}
	if n < 0 || h < 0 || w < 0 || len(images) < n*h*w*c {
		panic(fmt.Sprintf("generate.Grid: %d values cannot hold %d images of %dx%dx%d", len(images), n, h, w, c))
	}
	scale = max(scale, 1)
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	rows := 0
	if n > 0 {
		rows = (n + cols - 1) / cols
	}
	width := max(0, cols*w*scale+cols-1)
	height := max(0, rows*h*scale+rows-1)
	rect := image.Rect(0, 0, width, height)
	var dst gridImage
	if c == 1 {
		dst = &grayGrid{image.NewGray(rect)}
	} else {
		dst = &rgbaGrid{image.NewRGBA(rect)}
	}
	dst.fill(separator)
	for i := range n {
		x0 := (i % cols) * (w*scale + 1)
		y0 := (i / cols) * (h*scale + 1)
		drawCell(dst, images[i*h*w*c:(i+1)*h*w*c], x0, y0, h, w, c, scale)
	}
	return dst.image()
}

// drawCell draws one h×w×c image with its top-left corner at (x0, y0).
func drawCell(dst gridImage, pixels []float32, x0, y0, h, w, c, scale int) {
	for y := range h {
		for x := range w {
			v := pixels[(y*w+x)*c : (y*w+x+1)*c]
			for dy := range scale {
				for dx := range scale {
					dst.set(x0+x*scale+dx, y0+y*scale+dy, v)
				}
			}
		}
	}
}

// gridImage is an image a grid is drawn into.
type gridImage interface {
	fill(v uint8)
	set(x, y int, v []float32)
	image() image.Image
}

// grayGrid is a grey grid.
type grayGrid struct{ *image.Gray }

func (g *grayGrid) fill(v uint8) {
	for i := range g.Pix {
		g.Pix[i] = v
	}
}

func (g *grayGrid) set(x, y int, v []float32) { g.SetGray(x, y, color.Gray{toByte(v[0])}) }

func (g *grayGrid) image() image.Image { return g.Gray }

// rgbaGrid is a colour grid.
type rgbaGrid struct{ *image.RGBA }

func (g *rgbaGrid) fill(v uint8) {
	for i := range g.Pix {
		g.Pix[i] = v
		if i%4 == 3 {
			g.Pix[i] = 255
		}
	}
}

func (g *rgbaGrid) set(x, y int, v []float32) {
	g.SetRGBA(x, y, color.RGBA{toByte(v[0]), toByte(v[1]), toByte(v[2]), 255})
}

func (g *rgbaGrid) image() image.Image { return g.RGBA }

// Bytes returns values in [0,1] as the bytes a picture of them holds
// (clamped, NaN as 0, rounded to the nearest of 256 levels), as Grid draws
// them.
func Bytes(values []float32) []uint8 {
	out := make([]uint8, len(values))
	for i, v := range values {
		out[i] = toByte(v)
	}
	return out
}

// toByte maps a value in [0,1] to a byte, clamping and rounding.
func toByte(v float32) uint8 {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return uint8(v*255 + 0.5)
}

// WritePNG encodes img to path atomically (temp file + rename) via internal/atomicfile.
func WritePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		return png.Encode(w, img)
	})
}
