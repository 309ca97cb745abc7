package generate

import (
	"image"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Labels are the text drawn around a grid by Label.
type Labels struct {
	// Rows holds, for each row of the grid from the top, the lines of
	// text drawn left of it (none: no left band).
	Rows [][]string
	// Cols holds the text drawn above each column (none: no top band).
	Cols []string
	// Corner is drawn above the row labels, left of the column labels:
	// what they are, such as "z2 \ z1".
	Corner string
}

// The bitmap font of labels: legible at any scale, 7×13 pixels a character.
const (
	labelPad   = 4  // pixels between a band's text and its edges
	lineHeight = 13 // basicfont.Face7x13's height
	ascent     = 11 // and its ascent
)

// Label returns grid, a grid of cells cellW×cellH pixels with 1-pixel
// separators as Grid draws them (cellW = w*scale), with white bands of
// black text: each row's lines left of it, right-aligned and centred on
// the row, each column's text above it, and the corner text above the
// rows' (on the last line of the top band). Column texts wider than a cell
// alternate between two lines so that neighbours do not overlap. The
// result is grey when grid is, else RGBA.
func Label(grid image.Image, cellW, cellH int, l Labels) image.Image {
	face := basicfont.Face7x13
	left := 0
	for _, lines := range l.Rows {
		for _, s := range lines {
			left = max(left, font.MeasureString(face, s).Ceil()+2*labelPad)
		}
	}
	if len(l.Cols) > 0 && l.Corner != "" {
		left = max(left, font.MeasureString(face, l.Corner).Ceil()+2*labelPad)
	}
	colLines := 0
	if len(l.Cols) > 0 {
		colLines = 1
		for _, s := range l.Cols {
			if font.MeasureString(face, s).Ceil() > cellW-1 {
				colLines = 2
			}
		}
	}
	top := 0
	if colLines > 0 {
		top = colLines*lineHeight + 2*labelPad
	}
	gb := grid.Bounds()
	rect := image.Rect(0, 0, left+gb.Dx(), top+gb.Dy())
	var dst draw.Image = image.NewRGBA(rect)
	if _, grey := grid.(*image.Gray); grey {
		dst = image.NewGray(rect)
	}
	draw.Draw(dst, rect, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(left, top, rect.Max.X, rect.Max.Y), grid, gb.Min, draw.Src)
	d := &font.Drawer{Dst: dst, Src: image.Black, Face: face}
	text := func(x, baseline int, s string) {
		d.Dot = fixed.P(x, baseline)
		d.DrawString(s)
	}
	for r, lines := range l.Rows {
		y := top + r*(cellH+1) + (cellH-len(lines)*lineHeight)/2
		for i, s := range lines {
			text(left-labelPad-font.MeasureString(face, s).Ceil(), y+i*lineHeight+ascent, s)
		}
	}
	if top > 0 && l.Corner != "" { // on the last line: the first column's text, on the first, may reach left of the grid
		text(left-labelPad-font.MeasureString(face, l.Corner).Ceil(), labelPad+(colLines-1)*lineHeight+ascent, l.Corner)
	}
	for c, s := range l.Cols {
		w := font.MeasureString(face, s).Ceil()
		x := left + c*(cellW+1) + (cellW-w)/2
		x = max(0, min(x, rect.Dx()-w))
		text(x, labelPad+(c%colLines)*lineHeight+ascent, s)
	}
	return dst
}
