package plots

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/rundir"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// curveColumns are the columns of metrics.csv that Curves plots, besides
// step: every split's loss terms, as rundir names them.
func curveColumns() []string {
	var cols []string
	for _, split := range rundir.MetricsSplits() {
		for _, term := range rundir.MetricsTerms() {
			cols = append(cols, split+"_"+term)
		}
	}
	return cols
}

// Series is one column of metrics.csv against step, its empty cells left out.
type Series struct {
	Steps, Values []float64
}

// Metrics is a run's metrics.csv: every numeric column by its header name.
type Metrics struct {
	Path    string
	Columns map[string]Series
}

// ReadMetrics reads a run's metrics.csv. The header must name step and the
// train_/test_ neg_elbo, recon and kl columns (others are kept too); every
// row must have one cell per header name, each empty or a number, with a
// step in every row. Errors name the file and, where it applies, the line.
func ReadMetrics(path string) (*Metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing: the run has no training metrics", path)
		}
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	m, err := parseMetrics(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m.Path = path
	return m, nil
}

// parseMetrics parses a metrics table.
func parseMetrics(r io.Reader) (*Metrics, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("the file is empty (no header)")
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, name := range header {
		col[strings.TrimSpace(name)] = i
	}
	for _, name := range append([]string{"step"}, curveColumns()...) {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("line 1: header %q has no %s column", strings.Join(header, ","), name)
		}
	}
	m := &Metrics{Columns: map[string]Series{}}
	for line := 2; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := m.addRow(row, header, col["step"]); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if len(m.Columns["step"].Values) == 0 {
		return nil, errors.New("no rows after the header")
	}
	return m, nil
}

// addRow adds one row's non-empty cells to their columns.
func (m *Metrics) addRow(row, header []string, stepCol int) error {
	if len(row) != len(header) {
		return fmt.Errorf("%d cells, want %d as in the header", len(row), len(header))
	}
	cell := strings.TrimSpace(row[stepCol])
	step, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return fmt.Errorf("step %q is not a number", cell)
	}
	for i, name := range header {
		cell := strings.TrimSpace(row[i])
		if cell == "" {
			continue
		}
		v, err := strconv.ParseFloat(cell, 64)
		if err != nil {
			return fmt.Errorf("%s %q is not a number", name, cell)
		}
		s := m.Columns[name]
		s.Steps, s.Values = append(s.Steps, step), append(s.Values, v)
		m.Columns[name] = s
	}
	return nil
}

// Curves draws, in format (FormatPNG, FormatSVG or FormatPDF), three
// panels side by side — negative ELBO, reconstruction and KL, in nats per
// image — each with the training and test values against step. A panel's
// test line is left out when the run has no test values; with no values at
// all it is an error. Values that are not finite or beyond ±1e300 are left
// out, and the panel's title says how many. A series of a few points draws
// them as large dots, so that a single test evaluation shows.
func Curves(m *Metrics, title, format string) ([]byte, error) {
	panels := []struct{ name, column string }{
		{"negative ELBO", "neg_elbo"}, {"reconstruction", "recon"}, {"KL", "kl"},
	}
	row := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, err := curvePanel(m, pn.name, pn.column)
		if err != nil {
			return nil, err
		}
		row[i] = p
	}
	row[0].Title.Text = title + "\n" + row[0].Title.Text
	const w, h = 15 * vg.Inch, 4.5 * vg.Inch
	c, err := newCanvas(format, w, h)
	if err != nil {
		return nil, err
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(12), PadY: vg.Points(6),
		PadLeft: vg.Points(6), PadRight: vg.Points(10), PadTop: vg.Points(6), PadBottom: vg.Points(6)}
	canvases := plot.Align([][]*plot.Plot{row}, tiles, dc)
	for i, p := range row {
		p.Draw(canvases[0][i])
	}
	return encode(c, format)
}

// Points of a series with at most fewPoints are drawn as dots of radius
// fewPointsRadius; longer series as smaller rings, or as a line alone
// beyond 40 points.
const (
	fewPoints       = 3
	fewPointsRadius = vg.Length(4)
)

// curvePanel plots train_<column> and test_<column> against step.
func curvePanel(m *Metrics, name, column string) (*plot.Plot, error) {
	p := newPlot()
	p.Title.Text = name
	p.X.Label.Text = "step"
	p.Y.Label.Text = "nats per image"
	series, lines, dropped := 0, 0, 0
	for i, split := range []string{"train", "test"} {
		s := m.Columns[split+"_"+column]
		if len(s.Values) == 0 {
			continue
		}
		series++
		xys := curveXYs(s)
		dropped += len(s.Values) - len(xys)
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Path, err)
		}
		l.Color, pts.Color = Colour(i, 2), Colour(i, 2)
		l.Width, pts.Radius = vg.Points(1.5), vg.Points(2)
		if len(xys) <= fewPoints {
			pts.Shape, pts.Radius = draw.CircleGlyph{}, fewPointsRadius
		}
		if len(xys) > 40 {
			p.Add(l)
			p.Legend.Add(split, l)
		} else {
			p.Add(l, pts)
			p.Legend.Add(split, l, pts)
		}
		if lines == 0 { // keep the legend off the first line's end
			p.Legend.Top = xys[len(xys)-1].Y <= xys[0].Y
		}
		lines++
	}
	if series == 0 {
		return nil, fmt.Errorf("%s: no train_%s or test_%s values to plot", m.Path, column, column)
	}
	if dropped > 0 {
		p.Title.Text += fmt.Sprintf("\n(%d values not finite or beyond ±%g, not drawn)", dropped, maxPlotted)
	}
	p.Add(plotter.NewGrid())
	fitRange(&p.X)
	fitRange(&p.Y)
	return p, nil
}

// curveXYs returns the points of s that can be plotted.
func curveXYs(s Series) plotter.XYs {
	xys := make(plotter.XYs, 0, len(s.Values))
	for j, v := range s.Values {
		if plottable(s.Steps[j]) && plottable(v) {
			xys = append(xys, plotter.XY{X: s.Steps[j], Y: v})
		}
	}
	return xys
}
