package generate

import (
	"image"
	"image/draw"
)

// Band is one band of StackBands: a grid of images with its labels, as Grid
// and Label draw them.
type Band struct {
	Images []float32 // the band's images, NHWC in [0,1]
	N      int       // how many
	Labels Labels    // its labels: Cols are the texts above each column
}

// StackBands draws each band as a grid of cols columns of h×w×c images
// upscaled by scale, labelled by its Labels, and stacks the bands top to
// bottom, left-aligned on white: a grid whose every row of cells (or pair
// of rows) has texts of its own, such as each image's index and label. The
// result is grey when c is 1, else RGBA.
func StackBands(bands []Band, h, w, c, cols, scale int) image.Image {
	parts := make([]image.Image, len(bands))
	width, height := 0, 0
	for i, b := range bands {
		g := Grid(b.Images, b.N, h, w, c, cols, scale)
		parts[i] = Label(g, w*max(scale, 1), h*max(scale, 1), b.Labels)
		width = max(width, parts[i].Bounds().Dx())
		height += parts[i].Bounds().Dy()
	}
	rect := image.Rect(0, 0, width, height)
	var dst draw.Image = image.NewRGBA(rect)
	if c == 1 {
		dst = image.NewGray(rect)
	}
	draw.Draw(dst, rect, image.White, image.Point{}, draw.Src)
	y := 0
	for _, p := range parts {
		b := p.Bounds()
		draw.Draw(dst, image.Rect(0, y, b.Dx(), y+b.Dy()), p, b.Min, draw.Src)
		y += b.Dy()
	}
	return dst
}
