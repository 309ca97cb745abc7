package sprites

import (
	"fmt"
	"math"
)

// Factor positions in a values slice, in dSprites' order (color left out).
const (
	Shape       = iota // 0 square, 1 ellipse, 2 heart
	Scale              // 6 values in [0.5, 1]
	Orientation        // 40 values in [0, 2π]
	X                  // 32 values in [0, 1], left to right
	Y                  // 32 values in [0, 1], top to bottom
	NumFactors         // the number of factors, 5
)

// Shapes' values of the Shape factor.
const (
	Square  = 0
	Ellipse = 1
	Heart   = 2
)

// Side is the width and height of an image in pixels.
const Side = 64

// Pixels is the number of pixels of an image, Side².
const Pixels = Side * Side

// N is the number of images: 3 · 6 · 40 · 32 · 32 = 737,280.
const N = 737280

// grid is a factor grid: the number of values of each factor. The full
// grid is dSprites'; tests use smaller ones through the same code.
type grid [NumFactors]int

// fullGrid returns dSprites' grid.
func fullGrid() grid { return grid{3, 6, 40, 32, 32} }

// len returns the number of images of g.
func (g grid) len() int {
	n := 1
	for _, s := range g {
		n *= s
	}
	return n
}

// index returns the image index of values in g; values must be in range.
func (g grid) index(values []int) int {
	i := 0
	for f, v := range values[:NumFactors] {
		i = i*g[f] + v
	}
	return i
}

// values writes image i's factor values in g into dst.
func (g grid) values(i int, dst []int) {
	for f := NumFactors - 1; f >= 0; f-- {
		dst[f] = i % g[f]
		i /= g[f]
	}
}

// check reports values of the wrong length or out of range in g.
func (g grid) check(values []int) error {
	if len(values) != NumFactors {
		return fmt.Errorf("sprites: %d factor values, want %d", len(values), NumFactors)
	}
	for f, v := range values {
		if v < 0 || v >= g[f] {
			return fmt.Errorf("sprites: factor %s is %d, outside [0, %d)", Names()[f], v, g[f])
		}
	}
	return nil
}

// Names returns the factors' names: shape, scale, orientation, x, y.
func Names() []string { return []string{"shape", "scale", "orientation", "x", "y"} }

// ShapeNames returns the names of the Shape factor's values.
func ShapeNames() []string { return []string{"square", "ellipse", "heart"} }

// Sizes returns the number of values of each factor: 3, 6, 40, 32, 32 (the
// Sizes of a disentangle.Sampler over this set), newly allocated.
func Sizes() []int {
	g := fullGrid()
	return g[:]
}

// Index returns the index of the image with the given factor values, as
// dSprites' latent_to_index does (color being 0). It panics on values out
// of range; Check reports them.
func Index(values []int) int {
	if err := Check(values); err != nil {
		panic(err)
	}
	return fullGrid().index(values)
}

// Check reports values that are not NumFactors values each within its
// factor's range.
func Check(values []int) error { return fullGrid().check(values) }

// Values returns the factor values of image i in [0, N).
func Values(i int) []int {
	if i < 0 || i >= N {
		panic(fmt.Sprintf("sprites: image %d outside [0, %d)", i, N))
	}
	v := make([]int, NumFactors)
	fullGrid().values(i, v)
	return v
}

// FactorValues returns the factor values of the given images, NumFactors
// a row: with Sizes, the table disentangle.Factors{Sizes: Sizes(), Values:
// FactorValues(indices)}. (This package does not import disentangle, so
// that package data, which imports this one, stays below it.)
func FactorValues(indices []int) []int {
	values := make([]int, len(indices)*NumFactors)
	for k, i := range indices {
		copy(values[k*NumFactors:], Values(i))
	}
	return values
}

// linspace returns value k of n values evenly spaced over [lo, hi], both
// ends included (lo alone when n is 1), as numpy.linspace does.
func linspace(lo, hi float64, k, n int) float64 {
	if n == 1 {
		return lo
	}
	return lo + (hi-lo)*float64(k)/float64(n-1)
}

// params are an image's continuous factor values.
type params struct {
	shape        int
	scale, angle float64 // angle in radians, counter-clockwise on screen
	posX, posY   float64 // in [0, 1]
}

// params returns the continuous values of values in g.
func (g grid) params(values []int) params {
	return params{
		shape: values[Shape],
		scale: linspace(0.5, 1, values[Scale], g[Scale]),
		angle: linspace(0, 2*math.Pi, values[Orientation], g[Orientation]),
		posX:  linspace(0, 1, values[X], g[X]),
		posY:  linspace(0, 1, values[Y], g[Y]),
	}
}

// Value returns the continuous value of factor f's value v as dSprites
// lists it in latents_possible_values: the scale, the orientation in
// radians, the position in [0, 1], or the shape's 1, 2 or 3.
func Value(f, v int) float64 {
	g := fullGrid()
	if f < 0 || f >= NumFactors || v < 0 || v >= g[f] {
		panic(fmt.Sprintf("sprites: factor %d value %d out of range", f, v))
	}
	switch f {
	case Shape:
		return float64(v + 1)
	case Scale:
		return linspace(0.5, 1, v, g[f])
	case Orientation:
		return linspace(0, 2*math.Pi, v, g[f])
	}
	return linspace(0, 1, v, g[f])
}
