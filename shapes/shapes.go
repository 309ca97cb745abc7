package shapes

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// The set's geometry and size.
const (
	Side        = 32 // image height and width, in pixels
	Channels    = 3  // RGB
	Pixels      = Side * Side * Channels
	MinSize     = 4.0  // smallest radius (circle) or half side (square), in pixels
	MaxSize     = 10.0 // largest
	MinContrast = 64   // the shape's and background's colours differ by at least this much in some channel
	Count       = 3000 // images in the data set "shapes"
	Seed        = 40   // the data set's generator seed
)

// Shape is the kind of shape an image holds: its class.
type Shape int

// The shapes, in class order.
const (
	Circle Shape = iota
	Square
)

// ClassNames returns the names of the shapes, indexed by Shape.
func ClassNames() []string { return []string{"circle", "square"} }

// Factors are everything that makes an image.
type Factors struct {
	Shape      Shape
	Size       float64  // radius of the circle, or half the side of the square, in pixels
	X, Y       float64  // centre, in pixels from the top-left corner (x right, y down)
	Colour     [3]uint8 // the shape's RGB
	Background [3]uint8 // the background's RGB
}

// Generate draws n images and their factors from a generator seeded with
// seed: pixels holds the images back to back, Pixels bytes each.
func Generate(n int, seed uint64) (pixels []uint8, factors []Factors) {
	rng := rand.New(rand.NewPCG(seed, 0x5ba9e5))
	pixels = make([]uint8, n*Pixels)
	factors = make([]Factors, n)
	for i := range factors {
		factors[i] = draw(rng)
		Render(factors[i], pixels[i*Pixels:(i+1)*Pixels])
	}
	return pixels, factors
}

// draw draws one image's factors from rng.
func draw(rng *rand.Rand) Factors {
	f := Factors{Shape: Shape(rng.IntN(2))}
	f.Size = MinSize + (MaxSize-MinSize)*rng.Float64()
	f.X = f.Size + (Side-2*f.Size)*rng.Float64()
	f.Y = f.Size + (Side-2*f.Size)*rng.Float64()
	for {
		f.Colour, f.Background = randomColour(rng), randomColour(rng)
		if contrast(f.Colour, f.Background) >= MinContrast {
			return f
		}
	}
}

// randomColour draws each channel uniformly in 0..255.
func randomColour(rng *rand.Rand) [3]uint8 {
	return [3]uint8{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
}

// contrast is the largest difference between a and b in any channel.
func contrast(a, b [3]uint8) int {
	m := 0
	for c := range a {
		m = max(m, int(a[c])-int(b[c]), int(b[c])-int(a[c]))
	}
	return m
}

// Inside reports whether the centre of pixel (row, col) lies inside f's
// shape.
func (f Factors) Inside(row, col int) bool {
	dx, dy := float64(col)+0.5-f.X, float64(row)+0.5-f.Y
	if f.Shape == Circle {
		return dx*dx+dy*dy <= f.Size*f.Size
	}
	return math.Abs(dx) <= f.Size && math.Abs(dy) <= f.Size
}

// Render draws f into dst, Pixels bytes; it panics on a dst of another
// length, a programming error.
func Render(f Factors, dst []uint8) {
	if len(dst) != Pixels {
		panic(fmt.Sprintf("shapes: render into %d bytes, want %d", len(dst), Pixels))
	}
	for row := range Side {
		for col := range Side {
			c := f.Background
			if f.Inside(row, col) {
				c = f.Colour
			}
			copy(dst[(row*Side+col)*Channels:], c[:])
		}
	}
}

// Centroid returns the mean centre (x, y) of the pixels inside f's shape,
// and how many there are.
func (f Factors) Centroid() (x, y float64, n int) {
	for row := range Side {
		for col := range Side {
			if f.Inside(row, col) {
				x += float64(col) + 0.5
				y += float64(row) + 0.5
				n++
			}
		}
	}
	if n == 0 {
		return f.X, f.Y, 0
	}
	return x / float64(n), y / float64(n), n
}
