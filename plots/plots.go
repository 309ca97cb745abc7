// Package plots draws latent's figures as PNG, SVG or PDF: latent maps
// (2-D scatters coloured by label) and training curves read from a run's
// metrics.csv.
package plots

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of every PNG the package draws.
const DPI = 96

// The formats the package draws figures in.
const (
	FormatPNG = "png"
	FormatSVG = "svg"
	FormatPDF = "pdf"
)

// Formats lists the formats the package draws figures in, PNG first.
func Formats() []string { return []string{FormatPNG, FormatSVG, FormatPDF} }

// newCanvas returns a w×h canvas that writes format.
func newCanvas(format string, w, h vg.Length) (vg.CanvasWriterTo, error) {
	switch format {
	case FormatPNG:
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}, nil
	case FormatSVG:
		return vgsvg.New(w, h), nil
	case FormatPDF:
		return vgpdf.New(w, h), nil
	}
	return nil, fmt.Errorf("figure format %q: want png, svg or pdf", format)
}

// encode returns what a drawn canvas writes.
func encode(c vg.CanvasWriterTo, format string) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", strings.ToUpper(format), err)
	}
	return buf.Bytes(), nil
}

// Map is a 2-D scatter of labelled points.
type Map struct {
	X, Y    []float64
	Labels  []int    // one per point
	Classes []string // names of labels; a label without one is shown as its number
	Title   string
	XLabel  string
	YLabel  string
	// LegendTitle heads the legend; "label" when empty.
	LegendTitle string
	// Ordered colours the labels along a continuous scale (dark purple, the
	// smallest, to green, the largest: viridis) rather than with distinct colours,
	// for an ordered value such as a factor's; its legend shows at most
	// maxOrderedLegend of them, evenly spaced.
	Ordered bool
}

// maxOrderedLegend is how many values an ordered map's legend shows.
const maxOrderedLegend = 8

// orderedColour returns the colour of label l of an ordered map whose
// labels run from lo to hi.
func orderedColour(l, lo, hi int) color.Color {
	share := 0.0
	if hi > lo {
		share = float64(l-lo) / float64(hi-lo)
	}
	return ordered(share)
}

// ordered returns the colour at share in [0, 1] of an ordered map's scale:
// viridis from dark purple to green, interpolated with luminance linear in
// the value (moreland.NewLuminance), stopping short of viridis's pale
// yellow, which would vanish on white.
func ordered(share float64) color.Color {
	controls := []color.Color{rgbHex(0x440154), rgbHex(0x3b528b), rgbHex(0x21918c), rgbHex(0x5ec962), rgbHex(0xb5de2b)}
	cm, err := moreland.NewLuminance(controls)
	if err != nil {
		return color.Black // the controls' luminance increases: not reached
	}
	cm.SetMin(0)
	cm.SetMax(1)
	c, err := cm.At(min(max(share, 0), 1))
	if err != nil {
		return color.Black
	}
	return c
}

// rgbHex returns the opaque colour 0xRRGGBB.
func rgbHex(c uint32) color.Color { return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 255} }

// inLegend reports whether the i-th of n distinct labels has a legend entry:
// every one of a categorical map, at most maxOrderedLegend evenly spaced of
// an ordered one (the first and last always).
func (m *Map) inLegend(i, n int) bool {
	if !m.Ordered || n <= maxOrderedLegend {
		return true
	}
	for k := range maxOrderedLegend {
		if i == k*(n-1)/(maxOrderedLegend-1) {
			return true
		}
	}
	return false
}

// pointAlpha is the opacity of a map's points, so that dense clusters
// show their density and overlapping classes both show.
const pointAlpha = 0.5

// Draw draws the map in format (FormatPNG, FormatSVG or FormatPDF), one
// translucent colour per label, with a titled legend beside it.
func (m *Map) Draw(format string) ([]byte, error) {
	if len(m.X) == 0 || len(m.X) != len(m.Y) || len(m.X) != len(m.Labels) {
		return nil, fmt.Errorf("map: %d x, %d y and %d labels: want the same positive number", len(m.X), len(m.Y), len(m.Labels))
	}
	for i := range m.X {
		if !plottable(m.X[i]) || !plottable(m.Y[i]) {
			return nil, fmt.Errorf("map: point %d is (%v, %v): not finite or beyond ±%g", i, m.X[i], m.Y[i], maxPlotted)
		}
	}
	p := newPlot()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = m.Title, m.XLabel, m.YLabel
	labels := distinct(m.Labels)
	legend := plot.NewLegend()
	legend.Left, legend.Top = true, true
	for i, l := range labels {
		var xys plotter.XYs
		for j := range m.X {
			if m.Labels[j] == l {
				xys = append(xys, plotter.XY{X: m.X[j], Y: m.Y[j]})
			}
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("map: %w", err)
		}
		colour := Colour(i, len(labels))
		if m.Ordered {
			colour = orderedColour(l, labels[0], labels[len(labels)-1])
		}
		s.GlyphStyle.Color = translucent(colour, pointAlpha)
		s.GlyphStyle.Radius = vg.Points(1.2)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		icon := *s // a bigger, opaque dot in the legend
		icon.GlyphStyle.Radius = vg.Points(3)
		icon.GlyphStyle.Color = colour
		if m.inLegend(i, len(labels)) {
			legend.Add(className(l, m.Classes), &icon)
		}
	}
	fitRange(&p.X)
	fitRange(&p.Y)
	padRange(&p.X)
	padRange(&p.Y)
	const w, h, legendW = 8 * vg.Inch, 6.5 * vg.Inch, 1.4 * vg.Inch
	legend.TextStyle.Font.Size = min(font.Length(11), (h-vg.Inch)/font.Length(len(labels)+2)/1.25)
	c, err := newCanvas(format, w, h)
	if err != nil {
		return nil, err
	}
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, -mapTopMargin)) // the title clear of the top edge
	area := draw.Crop(dc, w-legendW+vg.Points(6), 0, 0, -vg.Points(30))
	title := legend.TextStyle
	title.YAlign = draw.YTop
	area.FillText(title, vg.Point{X: area.Min.X, Y: area.Max.Y}, cmp.Or(m.LegendTitle, "label"))
	legend.Draw(draw.Crop(area, 0, 0, 0, -1.5*title.Font.Size))
	return encode(c, format)
}

// mapPad is the share of an axis's data span a map leaves empty at either
// end, so that no cluster runs into the axes or the frame's edge.
const mapPad = 0.04

// mapTopMargin is the space above a map's title, in points.
const mapTopMargin vg.Length = 6

// padRange widens a's range by mapPad of its span at either end.
func padRange(a *plot.Axis) {
	pad := mapPad * (a.Max - a.Min)
	a.Min, a.Max = a.Min-pad, a.Max+pad
}

// translucent returns c with opacity alpha in [0, 1].
func translucent(c color.Color, alpha float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(math.Round(255 * alpha))}
}

// distinct returns the distinct values of xs in increasing order.
func distinct(xs []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// className names label l from classes, or by its number.
func className(l int, classes []string) string {
	if l >= 0 && l < len(classes) && classes[l] != "" {
		return classes[l]
	}
	return strconv.Itoa(l)
}

// Colour returns the i-th of n distinct colours: the Tableau 10 palette for
// up to ten, else hues spaced evenly around the colour wheel with
// alternating lightness.
func Colour(i, n int) color.Color {
	tab10 := [...]uint32{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
		0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf}
	if n <= len(tab10) {
		c := tab10[i%len(tab10)]
		return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 255}
	}
	v := 0.9
	if i%2 == 1 {
		v = 0.6
	}
	return hsv(360*float64(i)/float64(n), 0.85, v)
}

// hsv converts a hue in degrees, saturation and value in [0,1] to RGB.
func hsv(h, s, v float64) color.Color {
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := v - c
	to := func(f float64) uint8 { return uint8(math.Round(255 * (f + m))) }
	return color.RGBA{to(r), to(g), to(b), 255}
}

// maxPlotted bounds the magnitude of a plotted value, so that the span of
// an axis stays finite: gonum/plot's tick marker loops for ever on an
// infinite span.
const maxPlotted = 1e300

// plottable reports whether x is finite and within ±maxPlotted.
func plottable(x float64) bool { return math.Abs(x) <= maxPlotted }

// newPlot returns a plot whose axes use boundedTicks.
func newPlot() *plot.Plot {
	p := plot.New()
	p.X.Tick.Marker, p.Y.Tick.Marker = boundedTicks{}, boundedTicks{}
	return p
}

// fitRange gives an axis with no data the range [0, 1], and widens one
// whose data are a single value, which gonum/plot's widening by ±1 cannot
// separate beyond 2^53.
func fitRange(a *plot.Axis) {
	switch {
	case a.Min > a.Max:
		a.Min, a.Max = 0, 1
	case a.Min == a.Max:
		pad := max(1, math.Abs(a.Min)/1000)
		a.Min, a.Max = a.Min-pad, a.Max+pad
	}
}

// boundedTicks is gonum/plot's default tick marker for a finite, non-empty
// range; on any other, where that marker panics or never returns, it marks
// the range's finite ends. Either way its labels are written by
// labelTicks, so that every axis of every panel reads alike.
type boundedTicks struct{}

// Ticks returns the ticks of the range [lo, hi].
func (boundedTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if span := hi - lo; span > 0 && !math.IsInf(span, 0) {
		ticks = plot.DefaultTicks{}.Ticks(lo, hi)
	} else {
		for _, v := range []float64{lo, hi} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) && (len(ticks) == 0 || ticks[0].Value != v) {
				ticks = append(ticks, plot.Tick{Value: v, Label: "x"})
			}
		}
	}
	labelTicks(ticks)
	return ticks
}

// labelTicks labels the major ticks (those with a label) in one format:
// plain decimals with the fewest digits after the point that write every
// major tick exactly (to a thousandth of their spacing), or, where the
// largest magnitude is 1e6 or more or below 1e-3, the shortest scientific
// notation.
func labelTicks(ticks []plot.Tick) {
	var majors []float64
	for _, t := range ticks {
		if t.Label != "" {
			majors = append(majors, t.Value)
		}
	}
	if len(majors) == 0 {
		return
	}
	largest, step := 0.0, math.Inf(1)
	for i, v := range majors {
		largest = max(largest, math.Abs(v))
		if i > 0 {
			step = min(step, math.Abs(v-majors[i-1]))
		}
	}
	if math.IsInf(step, 0) || step == 0 {
		step = max(largest, 1)
	}
	scientific := largest >= 1e6 || (largest > 0 && largest < 1e-3)
	decimals := 0
	for ; decimals < 12; decimals++ {
		exact := true
		for _, v := range majors {
			p := math.Pow(10, float64(decimals))
			exact = exact && math.Abs(math.Round(v*p)/p-v) <= step/1000
		}
		if exact {
			break
		}
	}
	for i := range ticks {
		if ticks[i].Label == "" {
			continue
		}
		v := ticks[i].Value
		if v == 0 { // no "-0"
			v = 0
		}
		if scientific {
			ticks[i].Label = strconv.FormatFloat(v, 'e', -1, 64)
		} else {
			ticks[i].Label = strconv.FormatFloat(v, 'f', decimals, 64)
		}
	}
}
