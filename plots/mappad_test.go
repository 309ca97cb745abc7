package plots

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestMapPadding: a map's title keeps clear of the image's top edge, and
// no point, not even those at the data's extremes, lies within a few
// pixels of the ends of the axes (the frame of its data).
func TestMapPadding(t *testing.T) {
	m := Map{Title: "run (step 200): latent means of 1000 mnist test images", XLabel: "UMAP 1", YLabel: "UMAP 2"}
	for i := range 200 {
		m.X = append(m.X, float64(i%20)/2)
		m.Y = append(m.Y, float64(i/20))
		m.Labels = append(m.Labels, i%3)
	}
	b, err := m.Draw(FormatPNG)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	const gap = 4 // pixels
	for y := range gap {
		for x := range img.Bounds().Dx() {
			if grey(img, x, y) < 200 {
				t.Fatalf("pixel (%d, %d) is dark: the title touches the top edge", x, y)
			}
		}
	}
	ax, top, _ := longestRun(img, true)    // the y axis
	ay, _, right := longestRun(img, false) // the x axis
	legend := img.Bounds().Dx() * 66 / 80  // left of the legend (1.4 of 8 inches)
	for y := range img.Bounds().Dy() {
		for x := range legend {
			if !coloured(img, x, y) {
				continue
			}
			if x < ax+gap || x > right-gap || y < top+gap || y > ay-gap {
				t.Fatalf("a point's pixel (%d, %d) lies within %d pixels of the data's frame (x %d to %d, y %d to %d)", x, y, gap, ax, right, top, ay)
			}
		}
	}
}

// grey returns the grey level of img at (x, y).
func grey(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

// coloured reports whether img's pixel at (x, y) is clearly coloured (a
// point, not the black, grey or white of the axes and text).
func coloured(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	hi, lo := max(r, g, b)>>8, min(r, g, b)>>8
	return hi-lo > 60
}

// longestRun finds img's longest run of dark pixels, vertical or
// horizontal: the axis line. It returns the line's column (row) and the
// run's first and last row (column).
func longestRun(img image.Image, vertical bool) (at, from, to int) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if !vertical {
		w, h = h, w
	}
	best := 0
	for a := range w {
		run := 0
		for p := range h {
			x, y := a, p
			if !vertical {
				x, y = p, a
			}
			if grey(img, x, y) < 200 && !coloured(img, x, y) {
				run++
				if run > best {
					best, at, from, to = run, a, p-run+1, p
				}
			} else {
				run = 0
			}
		}
	}
	return at, from, to
}
