package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latent-vae/latent/internal/timeout"
	"github.com/latent-vae/latent/rundir"
	"gonum.org/v1/plot"
)

// header is metrics.csv's first line as runs defines it.
var header = strings.Join(rundir.MetricsColumns(), ",") + "\n"

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string // substring of the error; "" for success
		train   int    // train_neg_elbo values
		test    int    // test_neg_elbo values
	}{
		{name: "train and test", text: header +
			"50,0.1,200,180,20,,,,900,1.5\n100,0.2,150,130,20,140,125,15,950,3\n150,0.3,140,120,20,,,,940,4.5\n",
			train: 3, test: 1},
		{name: "no test values", text: header + "50,0.1,200,180,20,,,,900,1.5\n", train: 1},
		{name: "extra column kept", text: strings.TrimSuffix(header, "\n") + ",lr\n50,0.1,200,180,20,,,,900,1.5,0.001\n", train: 1},
		{name: "empty file", text: "", wantErr: "empty"},
		{name: "header only", text: header, wantErr: "no rows"},
		{name: "missing column", text: "step,train_neg_elbo\n1,2\n", wantErr: "no train_recon column"},
		{name: "short row", text: header + "50,0.1,200,180\n", wantErr: "line 2: 4 cells, want 10"},
		{name: "bad number", text: header + "50,0.1,abc,180,20,,,,900,1.5\n", wantErr: `line 2: train_neg_elbo "abc"`},
		{name: "no step", text: header + ",0.1,200,180,20,,,,900,1.5\n", wantErr: "line 2: step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseMetrics(strings.NewReader(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(m.Columns["train_neg_elbo"].Values); got != tt.train {
				t.Errorf("%d train values, want %d", got, tt.train)
			}
			if got := len(m.Columns["test_neg_elbo"].Values); got != tt.test {
				t.Errorf("%d test values, want %d", got, tt.test)
			}
		})
	}
}

func TestParseMetricsKeepsSteps(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(header + "50,0.1,200,180,20,,,,900,1.5\n100,0.2,150,130,20,140,125,15,950,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Columns["test_kl"]
	if len(s.Steps) != 1 || s.Steps[0] != 100 || s.Values[0] != 15 {
		t.Fatalf("test_kl = %+v, want one value 15 at step 100", s)
	}
}

func TestReadMetricsNamesFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "metrics.csv")
	if _, err := ReadMetrics(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v, want one naming %s", err, missing)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("step,x\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMetrics(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("malformed file: error %v, want one naming %s", err, bad)
	}
}

func TestCurvesPNG(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(header +
		"50,0.1,200,180,20,,,,900,1.5\n100,0.2,150,130,20,140,125,15,950,3\n150,0.3,140,120,20,135,121,14,940,4.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, mustPNG(t)(Curves(m, "run", FormatPNG)))
	if b := img.Bounds(); b.Dx() != 15*DPI || b.Dy() != 4.5*DPI {
		t.Errorf("curves are %dx%d pixels, want %dx%d", b.Dx(), b.Dy(), 15*DPI, int(4.5*DPI))
	}
	for i, split := range []string{"train", "test"} {
		if n := countColour(img, Colour(i, 2)); n < 100 {
			t.Errorf("%s line: %d pixels of its colour, want a drawn line", split, n)
		}
	}
	// Without test values there is no test line.
	delete(m.Columns, "test_neg_elbo")
	delete(m.Columns, "test_recon")
	delete(m.Columns, "test_kl")
	img = decode(t, mustPNG(t)(Curves(m, "run", FormatPNG)))
	if n := countColour(img, Colour(1, 2)); n != 0 {
		t.Errorf("no test values, yet %d pixels of the test colour", n)
	}
	delete(m.Columns, "train_kl")
	if _, err := Curves(m, "run", FormatPNG); err == nil || !strings.Contains(err.Error(), "train_kl") {
		t.Errorf("no KL values: error %v, want one naming train_kl", err)
	}
}

func TestMapPNG(t *testing.T) {
	var m Map
	// Three clusters of labels 0, 1, 2 (named) and 7 (unnamed).
	for i := range 300 {
		l := i % 4
		if l == 3 {
			l = 7
		}
		a := 2 * math.Pi * float64(i) / 300
		m.X = append(m.X, float64(l)*10+math.Cos(a))
		m.Y = append(m.Y, math.Sin(a))
		m.Labels = append(m.Labels, l)
	}
	m.Classes = []string{"zero", "one", "two"}
	m.Title, m.XLabel, m.YLabel = "test", "z1", "z2"
	img := decode(t, mustPNG(t)(m.Draw(FormatPNG)))
	if b := img.Bounds(); b.Dx() != 8*DPI || b.Dy() != 6.5*DPI {
		t.Errorf("map is %dx%d pixels, want %dx%d", b.Dx(), b.Dy(), 8*DPI, int(6.5*DPI))
	}
	for i := range 4 {
		if n := countColour(img, Colour(i, 4)); n < 20 {
			t.Errorf("label #%d: %d pixels of its colour, want its points drawn", i, n)
		}
	}
	if n := countColour(img, Colour(4, 10)); n != 0 {
		t.Errorf("%d pixels of a fifth label's colour, with four labels", n)
	}
	bad := m
	bad.Y = bad.Y[:10]
	if _, err := bad.Draw(FormatPNG); err == nil {
		t.Error("mismatched x and y: no error")
	}
	bad = m
	bad.X = append([]float64{math.NaN()}, m.X[1:]...)
	if _, err := bad.Draw(FormatPNG); err == nil {
		t.Error("NaN point: no error")
	}
}

func TestColourDistinct(t *testing.T) {
	for _, n := range []int{2, 10, 11, 47} {
		seen := map[color.RGBA]int{}
		for i := range n {
			c := color.RGBAModel.Convert(Colour(i, n)).(color.RGBA)
			if j, ok := seen[c]; ok {
				t.Errorf("n=%d: colours %d and %d are both %v", n, j, i, c)
			}
			seen[c] = i
		}
	}
}

func mustPNG(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// countColour counts the pixels of img that are exactly c.
func countColour(img image.Image, c color.Color) int {
	want := color.RGBAModel.Convert(c).(color.RGBA)
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == want {
				n++
			}
		}
	}
	return n
}

func TestCurvesPNGExtremeValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name    string
		steps   []float64 // nil: 1, 2, 3, …
		values  []float64
		dropped int
	}{
		{"huge of both signs", nil, []float64{1e300, -1e300, 5}, 0},
		{"NaN", nil, []float64{3, nan, 2}, 1},
		{"infinities", nil, []float64{inf, -inf, 3, 2}, 2},
		{"beyond 1e300", nil, []float64{1e308, -1e308, 1, 2}, 2},
		{"all equal", nil, []float64{5, 5, 5}, 0},
		{"all equal and huge", nil, []float64{1e300, 1e300}, 0},
		{"all equal and tiny", nil, []float64{1e-310, 1e-310}, 0},
		{"one point", nil, []float64{7}, 0},
		{"all NaN", nil, []float64{nan, nan}, 2},
		{"huge steps", []float64{-1e308, 0, 1e308}, []float64{1, 2, 3}, 2},
		{"one huge step", []float64{1e300}, []float64{1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps
			for i := len(steps); i < len(tt.values); i++ {
				steps = append(steps, float64(i+1))
			}
			m := &Metrics{Path: "metrics.csv", Columns: map[string]Series{}}
			for _, c := range []string{"train_neg_elbo", "train_recon", "train_kl"} {
				m.Columns[c] = Series{Steps: steps, Values: tt.values}
			}
			var img image.Image
			timeout.Within(t, 10*time.Second, func() { img = decode(t, mustPNG(t)(Curves(m, "run", FormatPNG))) })
			drawn := len(tt.values) > tt.dropped
			if n := countColour(img, Colour(0, 2)); (n > 0) != drawn {
				t.Errorf("%d pixels of the train colour; want a line drawn: %v", n, drawn)
			}
			p, err := curvePanel(m, "KL", "kl")
			if err != nil {
				t.Fatal(err)
			}
			note := fmt.Sprintf("(%d values not finite or beyond ±1e+300, not drawn)", tt.dropped)
			if got := strings.Contains(p.Title.Text, note); got != (tt.dropped > 0) {
				t.Errorf("title %q: note %q shown %v, want %v", p.Title.Text, note, got, tt.dropped > 0)
			}
		})
	}
}

func TestMapPNGExtremeValues(t *testing.T) {
	tests := []struct {
		name    string
		x, y    []float64
		wantErr bool
	}{
		{"huge of both signs", []float64{1e300, -1e300}, []float64{-1e300, 1e300}, false},
		{"one point", []float64{3}, []float64{4}, false},
		{"all equal and huge", []float64{1e300, 1e300}, []float64{-1e300, -1e300}, false},
		{"beyond 1e300", []float64{1e308, -1e308}, []float64{0, 1}, true},
		{"infinite", []float64{math.Inf(1), 0}, []float64{0, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Map{X: tt.x, Y: tt.y, Labels: make([]int, len(tt.x))}
			var err error
			var b []byte
			timeout.Within(t, 10*time.Second, func() { b, err = m.Draw(FormatPNG) })
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want one: %v", err, tt.wantErr)
			}
			if err == nil && countColour(decode(t, b), Colour(0, 1)) == 0 {
				t.Error("no point drawn")
			}
		})
	}
}

func TestBoundedTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   int // ticks; -1 for gonum's own (several)
	}{
		{0, 10, -1},
		{-1e300, 1e300, -1},
		{-1e308, 1e308, 2}, // the span overflows
		{5, 5, 1},
		{3, 2, 2},
		{math.NaN(), 1, 1},
		{math.Inf(-1), math.Inf(1), 0},
	}
	for _, tt := range tests {
		var ticks []plot.Tick
		timeout.Within(t, 10*time.Second, func() { ticks = boundedTicks{}.Ticks(tt.lo, tt.hi) })
		if (tt.want < 0 && len(ticks) < 3) || (tt.want >= 0 && len(ticks) != tt.want) {
			t.Errorf("Ticks(%v, %v) = %d ticks, want %d (-1: gonum's)", tt.lo, tt.hi, len(ticks), tt.want)
		}
	}
}

// TestMapTranslucentTitledLegend checks that a map's points are drawn
// translucent (their colour blended with the white background where they
// do not overlap) and that its legend has a title.
func TestMapTranslucentTitledLegend(t *testing.T) {
	var m Map
	for i := range 200 {
		l := i % 2
		a := 2 * math.Pi * float64(i) / 200
		m.X = append(m.X, float64(l)*10+3*math.Cos(a))
		m.Y = append(m.Y, 3*math.Sin(a))
		m.Labels = append(m.Labels, l)
	}
	img := decode(t, mustPNG(t)(m.Draw(FormatPNG)))
	for i := range 2 {
		c := color.RGBAModel.Convert(Colour(i, 2)).(color.RGBA)
		blend := func(v uint8) uint8 { return uint8((255*(255-128) + int(v)*128 + 127) / 255) }
		want := color.RGBA{blend(c.R), blend(c.G), blend(c.B), 255}
		if n := countNear(img, want, 2); n < 50 {
			t.Errorf("label %d: %d pixels of its colour at half opacity over white, want translucent points", i, n)
		}
	}
	titled := func(title string) []byte {
		m.LegendTitle = title
		return mustPNG(t)(m.Draw(FormatPNG))
	}
	if bytes.Equal(titled("class"), titled("digit")) {
		t.Error("legend titles class and digit drew the same map: no legend title")
	}
	if !bytes.Equal(titled(""), titled("label")) {
		t.Error(`an empty legend title should default to "label"`)
	}
}

// countNear counts the pixels of img within tol of c in every channel.
func countNear(img image.Image, c color.RGBA, tol int) int {
	n := 0
	b := img.Bounds()
	near := func(a, b uint8) bool { return int(a)-int(b) <= tol && int(b)-int(a) <= tol }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if near(p.R, c.R) && near(p.G, c.G) && near(p.B, c.B) {
				n++
			}
		}
	}
	return n
}

// TestFigureFormats checks that figures come out in the format asked for.
func TestFigureFormats(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(header + "50,0.1,200,180,20,190,170,20,900,1.5\n100,0.2,150,130,20,,,,950,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	scatter := &Map{X: []float64{0, 1}, Y: []float64{1, 0}, Labels: []int{0, 1}}
	for format, magic := range map[string]string{FormatPNG: "\x89PNG", FormatSVG: "<?xml", FormatPDF: "%PDF-"} {
		curves, err := Curves(m, "run", format)
		if err != nil || !bytes.HasPrefix(curves, []byte(magic)) {
			t.Errorf("curves as %s: %.8q, %v; want %q first", format, curves, err, magic)
		}
		mp, err := scatter.Draw(format)
		if err != nil || !bytes.HasPrefix(mp, []byte(magic)) {
			t.Errorf("map as %s: %.8q, %v; want %q first", format, mp, err, magic)
		}
	}
	if _, err := Curves(m, "run", "bmp"); err == nil || !strings.Contains(err.Error(), "bmp") {
		t.Errorf("curves as bmp: %v, want an error naming bmp", err)
	}
}

// TestSingleTestPointVisible checks that a run's one test evaluation is
// drawn as a dot large enough to see in every panel, beside a training
// line of many points.
func TestSingleTestPointVisible(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for s := 1; s <= 60; s++ {
		test := ",,"
		if s == 60 {
			test = "150,130,20"
		}
		fmt.Fprintf(&b, "%d,0.1,%d,%d,20,%s,900,1\n", s, 300-2*s, 280-2*s, test)
	}
	m, err := parseMetrics(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, mustPNG(t)(Curves(m, "run", FormatPNG)))
	// A dot of radius 4 points at 96 DPI covers about 85 pixels; three
	// panels, each with the dot and its legend entry.
	if n := countColour(img, Colour(1, 2)); n < 400 {
		t.Errorf("%d pixels of the test colour, want the single test point drawn as a large dot in each panel", n)
	}
}

// TestTickLabels checks that every axis labels its ticks alike: plain
// decimals, the same number of digits after the point on one axis, no
// "-0", and scientific notation only from a million.
func TestTickLabels(t *testing.T) {
	tests := []struct {
		lo, hi     float64
		scientific bool
	}{
		{0, 20000, false}, {0, 3000, false}, {0.5, 3, false}, {-1, 1, false}, {100, 300, false}, {0, 0.05, false}, {0, 2e6, true},
	}
	for _, tt := range tests {
		var labels []string
		for _, tick := range (boundedTicks{}).Ticks(tt.lo, tt.hi) {
			if tick.Label != "" {
				labels = append(labels, tick.Label)
			}
		}
		decimals := -1
		for _, l := range labels {
			if strings.Contains(l, "e") != tt.scientific || l == "-0" || strings.HasPrefix(l, "-0.0") && strings.Trim(l, "-0.") == "" {
				t.Errorf("[%g, %g]: label %q among %q", tt.lo, tt.hi, l, labels)
			}
			if tt.scientific {
				continue
			}
			d := 0
			if _, frac, ok := strings.Cut(l, "."); ok {
				d = len(frac)
			}
			if decimals >= 0 && d != decimals {
				t.Errorf("[%g, %g]: labels %q mix %d and %d decimals", tt.lo, tt.hi, labels, decimals, d)
			}
			decimals = d
		}
	}
}
