package generate

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
)

func TestLabel(t *testing.T) {
	const side = 8 // cells of 8×8 at scale 1: narrower than most labels
	cells := make([]float32, 6*side*side)
	for i := range cells {
		cells[i] = 1 // white cells: any dark pixel is text
	}
	tests := []struct {
		name              string
		c, scale          int
		labels            Labels
		wantLeft, wantTop int
	}{
		{"rows and staggered columns", 1, 1, Labels{Rows: [][]string{{"z2", "KL 0.50"}, {"z1"}}, Cols: []string{"-3", "0", "+3"}, Corner: "dz"},
			7*7 + 2*labelPad, 2*lineHeight + 2*labelPad},
		{"rows only", 1, 1, Labels{Rows: [][]string{{"input"}, {"recon"}}}, 5*7 + 2*labelPad, 0},
		{"columns on one line", 3, 4, Labels{Cols: []string{"-3", "0", "+3"}}, 0, lineHeight + 2*labelPad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			grid := Grid(slices3(cells, tt.c), 6, side, side, tt.c, 3, tt.scale)
			img := Label(grid, side*tt.scale, side*tt.scale, tt.labels)
			gb := grid.Bounds()
			if got, want := img.Bounds(), image.Rect(0, 0, tt.wantLeft+gb.Dx(), tt.wantTop+gb.Dy()); got != want {
				t.Fatalf("bounds %v, want %v", got, want)
			}
			if _, grey := img.(*image.Gray); grey != (tt.c == 1) {
				t.Errorf("%T for a %T grid", img, grid)
			}
			for y := range gb.Dy() { // the grid itself, unchanged, at the bottom right
				for x := range gb.Dx() {
					if a, b := color.RGBAModel.Convert(img.At(tt.wantLeft+x, tt.wantTop+y)), color.RGBAModel.Convert(grid.At(x, y)); a != b {
						t.Fatalf("grid pixel (%d,%d) is %v, want %v", x, y, a, b)
					}
				}
			}
			pitch := side*tt.scale + 1
			for r := range tt.labels.Rows { // text left of each row
				band := image.Rect(0, tt.wantTop+r*pitch, tt.wantLeft, tt.wantTop+(r+1)*pitch)
				if n := testenv.DarkPixels(img, band); n < 10 {
					t.Errorf("row %d's label band has %d dark pixels, want text", r, n)
				}
			}
			for c := range tt.labels.Cols { // text above each column
				band := image.Rect(tt.wantLeft+c*pitch-pitch/2, 0, tt.wantLeft+(c+1)*pitch+pitch/2, tt.wantTop)
				if n := testenv.DarkPixels(img, band.Intersect(img.Bounds())); n < 10 {
					t.Errorf("column %d's label band has %d dark pixels, want text", c, n)
				}
			}
			corner := image.Rect(0, 0, tt.wantLeft, tt.wantTop)
			if n := testenv.DarkPixels(img, corner); (n > 0) != (tt.labels.Corner != "") {
				t.Errorf("corner: %d dark pixels, with corner text %q", n, tt.labels.Corner)
			}
		})
	}
}

// slices3 repeats each value c times (grey to RGB).
func slices3(v []float32, c int) []float32 {
	out := make([]float32, 0, len(v)*c)
	for _, x := range v {
		for range c {
			out = append(out, x)
		}
	}
	return out
}

func TestManifold(t *testing.T) {
	codes, values := Manifold(5, 0.05, 0.95)
	if len(codes) != 2*25 || len(values) != 5 {
		t.Fatalf("%d codes, %d values; want 50 and 5", len(codes), len(values))
	}
	want := []float64{-1.6449, -0.5978, 0, 0.5978, 1.6449} // N(0,1) quantiles of 0.05, 0.275, …, 0.95
	for i, v := range values {
		if math.Abs(v-want[i]) > 1e-4 {
			t.Errorf("value %d: %.5f, want %.4f", i, v, want[i])
		}
	}
	cell := func(r, c int) [2]float32 { return [2]float32{codes[2*(r*5+c)], codes[2*(r*5+c)+1]} }
	for _, tc := range []struct {
		r, c   int
		z1, z2 float64
	}{{0, 0, want[0], want[4]}, {0, 4, want[4], want[4]}, {4, 0, want[0], want[0]}, {2, 2, 0, 0}, {1, 3, want[3], want[3]}} {
		got := cell(tc.r, tc.c)
		if math.Abs(float64(got[0])-tc.z1) > 1e-4 || math.Abs(float64(got[1])-tc.z2) > 1e-4 {
			t.Errorf("cell (%d,%d) = %v, want (%.4f, %.4f): z1 rises to the right, z2 falls downwards", tc.r, tc.c, got, tc.z1, tc.z2)
		}
	}
}
