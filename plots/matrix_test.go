package plots

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
)

// TestMatrixDraw draws a 3 × 2 matrix in every format, checks the PNG's
// size grows with the rows, and refuses ragged, mismatched and non-finite
// matrices.
func TestMatrixDraw(t *testing.T) {
	m := &Matrix{Values: [][]float64{{0.9, 0.01}, {0.02, 0.5}, {0, 0}}, Rows: []string{"z1", "z2", "z3"},
		Cols: []string{"shape", "scale"}, Title: "mutual information (nats)", XLabel: "factor", YLabel: "dimension"}
	for _, f := range Formats() {
		b, err := m.Draw(f)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %d bytes, %v", f, len(b), err)
		}
	}
	small, err := m.Draw(FormatPNG)
	if err != nil {
		t.Fatal(err)
	}
	tall := *m
	tall.Values = append(tall.Values, []float64{1, 1}, []float64{1, 1})
	tall.Rows = append(tall.Rows, "z4", "z5")
	big, err := tall.Draw(FormatPNG)
	if err != nil {
		t.Fatal(err)
	}
	a, err := png.DecodeConfig(bytes.NewReader(small))
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.DecodeConfig(bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	if !(b.Height > a.Height) || a.Width != b.Width {
		t.Errorf("3 rows: %dx%d, 5 rows: %dx%d; want taller, as wide", a.Width, a.Height, b.Width, b.Height)
	}
	bad := []struct {
		name string
		m    Matrix
		want string
	}{
		{"empty", Matrix{}, "rows"},
		{"ragged", Matrix{Values: [][]float64{{1, 2}, {1}}, Rows: []string{"a", "b"}, Cols: []string{"x", "y"}}, "row 1"},
		{"names", Matrix{Values: [][]float64{{1}}, Rows: []string{"a", "b"}, Cols: []string{"x"}}, "row names"},
		{"NaN", Matrix{Values: [][]float64{{math.NaN()}}, Rows: []string{"a"}, Cols: []string{"x"}}, "NaN"},
		{"negative", Matrix{Values: [][]float64{{-1}}, Rows: []string{"a"}, Cols: []string{"x"}}, "≥ 0"},
	}
	for _, c := range bad {
		if _, err := c.m.Draw(FormatPNG); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// TestShade: white at 0, dark blue at 1, darker as the share grows.
func TestShade(t *testing.T) {
	lum := func(s float64) uint32 { r, g, b, _ := shade(s).RGBA(); return r + g + b }
	if r, g, b, _ := shade(0).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
		t.Errorf("shade(0) = %v, want white", shade(0))
	}
	if !(lum(0.3) > lum(0.6) && lum(0.6) > lum(1)) {
		t.Error("shade does not darken as the share grows")
	}
}

// TestMapOrdered: an ordered map draws its smallest label in the scale's
// blue end and its largest in the red end (opaque in the legend), with
// no categorical colour; its legend lists at most maxOrderedLegend values,
// the first and last among them.
func TestMapOrdered(t *testing.T) {
	var m Map
	for i := range 320 {
		l := i % 32
		m.X = append(m.X, float64(l))
		m.Y = append(m.Y, float64(i/32))
		m.Labels = append(m.Labels, l)
	}
	m.Ordered = true
	img := decode(t, mustPNG(t)(m.Draw(FormatPNG)))
	for _, share := range []float64{0, 1} {
		c := color.RGBAModel.Convert(ordered(share)).(color.RGBA)
		if n := countNear(img, c, 2); n < 10 {
			t.Errorf("scale end %g (%v): %d pixels, want its legend dot", share, c, n)
		}
	}
	if n := countNear(img, color.RGBAModel.Convert(Colour(1, 10)).(color.RGBA), 2); n != 0 {
		t.Errorf("%d pixels of a categorical colour on an ordered map", n)
	}
	var shown []int
	for i := range 32 {
		if m.inLegend(i, 32) {
			shown = append(shown, i)
		}
	}
	if len(shown) > maxOrderedLegend || shown[0] != 0 || shown[len(shown)-1] != 31 {
		t.Errorf("legend shows %v, want at most %d values from 0 to 31", shown, maxOrderedLegend)
	}
	if a, b := orderedColour(0, 0, 31), orderedColour(31, 0, 31); a == b {
		t.Error("the ends of the ordered scale have one colour")
	}
}
