package sprites

import (
	"math"
	"testing"
)

// stats are a rendered image's pixel count, centroid and bounding box.
type stats struct {
	count          int
	cx, cy         float64 // centroid in continuous coordinates (pixel centres at k+0.5)
	x0, x1, y0, y1 int     // bounding box, inclusive
}

// measure returns the stats of a side×side image.
func measure(pixels []byte, side int) stats {
	s := stats{x0: side, y0: side, x1: -1, y1: -1}
	for p, v := range pixels {
		if v == 0 {
			continue
		}
		x, y := p%side, p/side
		s.count++
		s.cx += float64(x) + 0.5
		s.cy += float64(y) + 0.5
		s.x0, s.x1, s.y0, s.y1 = min(s.x0, x), max(s.x1, x), min(s.y0, y), max(s.y1, y)
	}
	if s.count > 0 {
		s.cx /= float64(s.count)
		s.cy /= float64(s.count)
	} else {
		s.cx, s.cy = math.NaN(), math.NaN()
	}
	return s
}

// render renders values of the full grid, failing t on an error.
func render(t *testing.T, values ...int) []byte {
	t.Helper()
	dst := make([]byte, Pixels)
	if err := Render(values, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// near reports whether got is within tol of want; false for NaN.
func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
