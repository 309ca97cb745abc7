package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Matrix is a table of non-negative values drawn as a heat map, every
// cell shaded from white (0) to dark blue (the largest value) and
// annotated with its value: the code-dimension × factor mutual
// information of `latent factors`, rows = dimensions, columns = factors.
type Matrix struct {
	Values [][]float64 // [row][column]
	Rows   []string    // each row's name, top to bottom
	Cols   []string    // each column's name, left to right
	Title  string
	XLabel string
	YLabel string
	// Digits is how many decimals annotate each cell (2 when 0).
	Digits int
}

// Draw draws the matrix in format (FormatPNG, FormatSVG or FormatPDF).
func (m *Matrix) Draw(format string) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	p := newPlot()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = m.Title, m.XLabel, m.YLabel
	R, C := len(m.Rows), len(m.Cols)
	p.X.Min, p.X.Max = -0.5, float64(C)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(R)-0.5
	p.X.Tick.Marker = namedTicksOf(m.Cols, false)
	p.Y.Tick.Marker = namedTicksOf(m.Rows, true)
	p.Add(matrixCells{m})
	w := min(vg.Inch+vg.Length(C)*0.9*vg.Inch+vg.Inch, 40*vg.Inch)
	h := min(1.3*vg.Inch+vg.Length(R)*0.32*vg.Inch, 60*vg.Inch)
	c, err := newCanvas(format, w, h)
	if err != nil {
		return nil, err
	}
	p.Draw(draw.Crop(draw.New(c), 0, 0, 0, -mapTopMargin))
	return encode(c, format)
}

// check refuses an empty or ragged matrix, names that do not match its
// shape, and a value that is negative or not finite.
func (m *Matrix) check() error {
	if len(m.Values) == 0 || len(m.Values) != len(m.Rows) {
		return fmt.Errorf("matrix: %d rows of values and %d row names: want the same positive number", len(m.Values), len(m.Rows))
	}
	for i, row := range m.Values {
		if len(row) == 0 || len(row) != len(m.Cols) {
			return fmt.Errorf("matrix: row %d has %d values for %d column names", i, len(row), len(m.Cols))
		}
		for j, v := range row {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fmt.Errorf("matrix: value (%d, %d) is %v: want finite and ≥ 0", i, j, v)
			}
		}
	}
	return nil
}

// largest returns the largest value.
func (m *Matrix) largest() float64 {
	var top float64
	for _, row := range m.Values {
		for _, v := range row {
			top = max(top, v)
		}
	}
	return top
}

// matrixCells is the plotter of a Matrix's cells: row r at y = R−1−r.
type matrixCells struct{ m *Matrix }

// Plot draws every cell, shaded and annotated.
func (mc matrixCells) Plot(c draw.Canvas, plt *plot.Plot) {
	m := mc.m
	tx, ty := plt.Transforms(&c)
	top := m.largest()
	digits := m.Digits
	if digits == 0 {
		digits = 2
	}
	text := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 9), XAlign: draw.XCenter, YAlign: draw.YCenter,
		Handler: plt.Title.TextStyle.Handler}
	R := len(m.Values)
	for r, row := range m.Values {
		y := float64(R - 1 - r)
		for col, v := range row {
			share := 0.0
			if top > 0 {
				share = v / top
			}
			x := float64(col)
			rect := vg.Rectangle{Min: vg.Point{X: tx(x - 0.5), Y: ty(y - 0.5)}, Max: vg.Point{X: tx(x + 0.5), Y: ty(y + 0.5)}}
			c.SetColor(shade(share))
			c.Fill(rect.Path())
			t := text
			if share > 0.55 {
				t.Color = color.White
			}
			c.FillText(t, vg.Point{X: tx(x), Y: ty(y)}, strconv.FormatFloat(v, 'f', digits, 64))
		}
	}
}

// shade returns the colour of a cell holding share of the largest value:
// white at 0 to dark blue at 1.
func shade(share float64) color.Color {
	lerp := func(a, b float64) uint8 { return uint8(math.Round(a + (b-a)*share)) }
	return color.RGBA{lerp(255, 8), lerp(255, 48), lerp(255, 107), 255}
}

// namedTicks marks integer positions 0, 1, … with names, the first at the
// top when reversed (a matrix's rows).
type namedTicks []string

// namedTicksOf returns names as ticks, reversed when top is true.
func namedTicksOf(names []string, top bool) namedTicks {
	out := make(namedTicks, len(names))
	for i, n := range names {
		if top {
			out[len(names)-1-i] = n
		} else {
			out[i] = n
		}
	}
	return out
}

// Ticks returns one labelled tick per name.
func (n namedTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := make([]plot.Tick, len(n))
	for i, name := range n {
		ticks[i] = plot.Tick{Value: float64(i), Label: name}
	}
	return ticks
}
