package shapes

import (
	"fmt"
	"math"
)

// Error is how far a reconstruction is from the image whose factors it
// should keep.
type Error struct {
	// Colour is the mean absolute error of each channel over the pixels
	// inside the shape, in levels (0..255).
	Colour [3]float64
	// Position is the distance, in pixels, between the centroid of the
	// pixels the reconstruction draws nearer the shape's colour than the
	// background's and the centroid of the shape's own pixels; +Inf when
	// the reconstruction draws no pixel nearer the shape's colour.
	Position float64
}

// MaxColour is the largest of e's channel errors.
func (e Error) MaxColour() float64 { return max(e.Colour[0], e.Colour[1], e.Colour[2]) }

// Errors measures recon, an image of Pixels values in [0, 1] (RGB,
// row-major), against the image f draws.
func Errors(f Factors, recon []float32) (Error, error) {
	if len(recon) != Pixels {
		return Error{}, fmt.Errorf("shapes: a reconstruction of %d values, want %d", len(recon), Pixels)
	}
	var e Error
	var sx, sy float64
	var inside, drawn int
	for row := range Side {
		for col := range Side {
			p := recon[(row*Side+col)*Channels:][:Channels]
			if f.Inside(row, col) {
				inside++
				for c := range Channels {
					e.Colour[c] += math.Abs(255*float64(p[c]) - float64(f.Colour[c]))
				}
			}
			if distance(p, f.Colour) < distance(p, f.Background) {
				drawn++
				sx += float64(col) + 0.5
				sy += float64(row) + 0.5
			}
		}
	}
	for c := range e.Colour {
		e.Colour[c] /= float64(max(inside, 1))
	}
	if drawn == 0 {
		e.Position = math.Inf(1)
		return e, nil
	}
	x, y, _ := f.Centroid()
	e.Position = math.Hypot(sx/float64(drawn)-x, sy/float64(drawn)-y)
	return e, nil
}

// distance is the squared distance between p (in [0, 1]) and the colour c.
func distance(p []float32, c [3]uint8) float64 {
	var d float64
	for i := range c {
		v := 255*float64(p[i]) - float64(c[i])
		d += v * v
	}
	return d
}
