package sprites

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestRenderDeterministic renders images twice into one buffer, another
// image in between, and checks the bytes are equal and 0 or 1.
func TestRenderDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, Pixels)
	for range 50 {
		i := rng.IntN(N)
		if err := Render(Values(i), buf); err != nil {
			t.Fatal(err)
		}
		a := bytes.Clone(buf)
		if err := Render(Values(rng.IntN(N)), buf); err != nil {
			t.Fatal(err)
		}
		if err := Render(Values(i), buf); err != nil || !bytes.Equal(a, buf) {
			t.Fatalf("image %d differs between two renderings (%v)", i, err)
		}
		for p, v := range a {
			if v > 1 {
				t.Fatalf("image %d pixel %d is %d", i, p, v)
			}
		}
	}
}

// TestRenderErrors checks that bad values and buffers are refused.
func TestRenderErrors(t *testing.T) {
	if err := Render([]int{0, 0, 40, 0, 0}, make([]byte, Pixels)); err == nil {
		t.Error("orientation 40 rendered")
	}
	if err := Render([]int{0, 0, 0, 0, 0}, make([]byte, Pixels-1)); err == nil {
		t.Error("short buffer rendered")
	}
}

// TestDSpritesFrames compares images with dSprites' own, measured on the
// frames of dsprites.gif in github.com/deepmind/dsprites-dataset (x, y 0,
// orientation 0 unless given): pixel counts, centroids (continuous
// coordinates) and bounding boxes.
func TestDSpritesFrames(t *testing.T) {
	for _, tc := range []struct {
		name           string
		values         []int
		count          int     // dSprites' count
		countTol       int     // allowed difference
		cx, cy         float64 // dSprites' centroid
		x0, x1, y0, y1 int     // dSprites' box
	}{
		{"square 0.5", []int{Square, 0, 0, 0, 0}, 100, 0, 16, 16, 11, 20, 11, 20},
		{"square 1", []int{Square, 5, 0, 0, 0}, 400, 0, 16, 16, 6, 25, 6, 25},
		{"ellipse 1", []int{Ellipse, 5, 0, 0, 0}, 288, 0, 16, 16, 3, 28, 9, 22},
		{"ellipse 1 at 1.61 rad", []int{Ellipse, 5, 10, 0, 0}, 290, 4, 16, 16, 9, 22, 3, 28},
		{"heart 1 upright", []int{Heart, 5, 0, 0, 0}, 222, 8, 16, 14.07, 6, 25, 7, 23},
		{"heart 0.5", []int{Heart, 0, 0, 0, 0}, 58, 5, 16, 15.12, 11, 20, 11, 19},
		{"heart 1 at 1.61 rad, point right", []int{Heart, 5, 10, 0, 0}, 225, 5, 14.10, 16.17, 6, 24, 7, 25},
		{"heart 1 at x 1, y 1", []int{Heart, 5, 0, 31, 31}, 222, 8, 48, 46.07, 38, 57, 39, 55},
	} {
		s := measure(render(t, tc.values...), Side)
		if d := s.count - tc.count; d < -tc.countTol || d > tc.countTol {
			t.Errorf("%s: %d pixels, dSprites %d±%d", tc.name, s.count, tc.count, tc.countTol)
		}
		if !near(s.cx, tc.cx, 0.3) || !near(s.cy, tc.cy, 0.3) {
			t.Errorf("%s: centroid (%.2f, %.2f), dSprites (%.2f, %.2f)", tc.name, s.cx, s.cy, tc.cx, tc.cy)
		}
		if d := max(abs(s.x0-tc.x0), abs(s.x1-tc.x1), abs(s.y0-tc.y0), abs(s.y1-tc.y1)); d > 1 {
			t.Errorf("%s: box x [%d, %d] y [%d, %d], dSprites x [%d, %d] y [%d, %d]",
				tc.name, s.x0, s.x1, s.y0, s.y1, tc.x0, tc.x1, tc.y0, tc.y1)
		}
	}
}

func abs(x int) int { return max(x, -x) }

// meanArea returns the mean pixel count of a shape at a scale over every
// orientation and a spread of positions, which averages out the pixel
// grid's rounding.
func meanArea(t *testing.T, shape, scale int) float64 {
	var sum, n float64
	for o := range 40 {
		for x := 0; x < 32; x += 5 {
			sum += float64(measure(render(t, shape, scale, o, x, 31-x), Side).count)
			n++
		}
	}
	return sum / n
}

// TestAreaScale checks that each shape's mean area is its exact area and
// grows as the scale squared.
func TestAreaScale(t *testing.T) {
	for shape := range 3 {
		big := meanArea(t, shape, 5)
		for scale := range 6 {
			s := Value(Scale, scale)
			got := meanArea(t, shape, scale)
			if want := area(shape, s); !near(got/want, 1, 0.01) {
				t.Errorf("%s at scale %.1f: mean area %.1f, exact %.1f", ShapeNames()[shape], s, got, want)
			}
			if !near(got/big, s*s, 0.01) {
				t.Errorf("%s: area ratio at scale %.1f is %.4f, want %.4f", ShapeNames()[shape], s, got/big, s*s)
			}
		}
	}
}

// TestRotationArea checks that every orientation keeps each shape's area
// within the pixel grid's rounding: 4% at scale 1.
func TestRotationArea(t *testing.T) {
	for shape := range 3 {
		want := area(shape, 1)
		for o := range 40 {
			got := float64(measure(render(t, shape, 5, o, 16, 16), Side).count)
			if !near(got/want, 1, 0.04) {
				t.Errorf("%s at orientation %d: %v pixels, exact %.1f", ShapeNames()[shape], o, got, want)
			}
		}
	}
}

// TestPositionCentroid checks that x and y move the centroid along their
// own axis only, monotonically and in a straight line of slope 32/31
// pixels a step: the least-squares line's slope within 1%, every centroid
// within 0.25 pixels of it, the other coordinate within 0.25 of its mean.
func TestPositionCentroid(t *testing.T) {
	for shape := range 3 {
		for _, axis := range []int{X, Y} {
			along, across := make([]float64, 32), make([]float64, 32)
			for k := range 32 {
				v := []int{shape, 5, 7, 16, 16}
				v[axis] = k
				s := measure(render(t, v...), Side)
				along[k], across[k] = s.cx, s.cy
				if axis == Y {
					along[k], across[k] = s.cy, s.cx
				}
			}
			name := ShapeNames()[shape] + ", " + Names()[axis]
			a, b := line(along)
			if !near(b, 32.0/31, 0.01*32/31) {
				t.Errorf("%s: %.4f pixels a step, want %.4f", name, b, 32.0/31)
			}
			_, flat := line(across)
			for k := range 32 {
				if k > 0 && !(along[k] > along[k-1]) {
					t.Errorf("%s %d: centroid %.3f after %.3f", name, k, along[k], along[k-1])
				}
				if !near(along[k], a+b*float64(k), 0.25) || !near(across[k], across[0], 0.25) || !near(flat, 0, 0.01) {
					t.Errorf("%s %d: centroid (%.3f, %.3f), line %.3f", name, k, along[k], across[k], a+b*float64(k))
				}
			}
		}
	}
}

// line returns the least-squares line a + b·k through ys[k].
func line(ys []float64) (a, b float64) {
	n := float64(len(ys))
	var sk, sy, skk, sky float64
	for k, y := range ys {
		sk, sy, skk, sky = sk+float64(k), sy+y, skk+float64(k*k), sky+float64(k)*y
	}
	b = (n*sky - sk*sy) / (n*skk - sk*sk)
	return (sy - b*sk) / n, b
}

// framed returns whether the image of values is whole inside the frame:
// drawn on a canvas 16 pixels wider each way, nothing falls outside the
// 64×64 frame, and the frame's border pixels stay black.
func framed(t *testing.T, values []int) bool {
	const pad = 16
	big := make([]byte, (Side+2*pad)*(Side+2*pad))
	draw(fullGrid().params(values), big, Side+2*pad, pad)
	in := render(t, values...)
	whole, cut := measure(big, Side+2*pad), measure(in, Side)
	if whole.count != cut.count || whole.count == 0 {
		return false
	}
	for k := range Side {
		if in[k]|in[(Side-1)*Side+k]|in[k*Side]|in[k*Side+Side-1] != 0 {
			return false
		}
	}
	return true
}

// TestInsideFrame checks every shape at the extreme positions, the
// largest scale and every orientation, and a random sample of the grid.
func TestInsideFrame(t *testing.T) {
	var cases [][]int
	for shape := range 3 {
		for o := range 40 {
			for _, xy := range [][2]int{{0, 0}, {0, 31}, {31, 0}, {31, 31}} {
				cases = append(cases, []int{shape, 5, o, xy[0], xy[1]})
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		cases = append(cases, Values(rng.IntN(N)))
	}
	for _, v := range cases {
		if !framed(t, v) {
			t.Fatalf("image %v is cut by the frame", v)
		}
	}
}
