package sprites

import (
	"fmt"
	"math"
)

// Shape sizes at scale 1, in pixels, measured on dSprites' images (see the
// package comment).
const (
	squareHalf   = 10.0 // half the side of the square
	ellipseA     = 13.0 // semi-axis along x at orientation 0
	ellipseB     = 7.0  // semi-axis along y at orientation 0
	heartRadius  = 5.0  // radius of each lobe
	heartLobeX   = 5.0  // lobe centres at x = ±heartLobeX
	heartLobeY   = -4.0 // lobe centres' y (y grows downwards)
	heartPointY  = 8.0  // the point at (0, heartPointY)
	centreOffset = 16.0 // centre of rotation at position 0
	centreSpan   = 32.0 // centre moves this many pixels from position 0 to 1
)

// Render draws the image with the given factor values (see Index) into
// dst, Pixels bytes, row-major: 1 where the shape covers a pixel's centre,
// 0 elsewhere. It returns an error for values out of range or a dst of
// another length.
func Render(values []int, dst []byte) error {
	if err := Check(values); err != nil {
		return err
	}
	if len(dst) != Pixels {
		return fmt.Errorf("sprites: render into %d bytes, want %d", len(dst), Pixels)
	}
	draw(fullGrid().params(values), dst, Side, 0)
	return nil
}

// draw clears canvas, side×side bytes, and draws p in it with the frame's
// origin at (pad, pad): pad > 0 draws beyond the 64×64 frame, to see what
// the frame would cut.
func draw(p params, canvas []byte, side int, pad float64) {
	clear(canvas)
	cos, sin := math.Cos(p.angle), math.Sin(p.angle)
	cx := pad + centreOffset + centreSpan*p.posX
	cy := pad + centreOffset + centreSpan*p.posY
	r := boundingRadius(p.shape) * p.scale
	r0, r1 := span(cy, r, side)
	c0, c1 := span(cx, r, side)
	inside := insideFunc(p.shape)
	for row := r0; row < r1; row++ {
		v := (float64(row) + 0.5 - cy) / p.scale
		for col := c0; col < c1; col++ {
			u := (float64(col) + 0.5 - cx) / p.scale
			// Undo the counter-clockwise (on screen, y down) rotation.
			sx := float64(u*cos) - float64(v*sin)
			sy := float64(u*sin) + float64(v*cos)
			if inside(sx, sy) {
				canvas[row*side+col] = 1
			}
		}
	}
}

// span returns the pixel range [lo, hi) whose centres may lie within r of
// c, clipped to [0, side).
func span(c, r float64, side int) (lo, hi int) {
	lo = max(int(math.Floor(c-r))-1, 0)
	hi = min(int(math.Ceil(c+r))+1, side)
	return lo, hi
}

// boundingRadius returns the largest distance of a shape's point from its
// centre of rotation at scale 1.
func boundingRadius(shape int) float64 {
	switch shape {
	case Square:
		return squareHalf * math.Sqrt2
	case Ellipse:
		return ellipseA
	}
	return math.Hypot(heartLobeX, heartLobeY) + heartRadius
}

// insideFunc returns the test of whether a point (x, y), in the shape's
// own frame at scale 1 (y down), lies inside the shape.
func insideFunc(shape int) func(x, y float64) bool {
	switch shape {
	case Square:
		return func(x, y float64) bool { return math.Abs(x) <= squareHalf && math.Abs(y) <= squareHalf }
	case Ellipse:
		return func(x, y float64) bool {
			x, y = x/ellipseA, y/ellipseB
			return float64(x*x)+float64(y*y) <= 1
		}
	}
	tx, ty := heartTangent()
	return func(x, y float64) bool { return insideHeart(math.Abs(x), y, tx, ty) }
}

// heartTangent returns the point where the tangent from the heart's point
// touches the right lobe on its outer side.
func heartTangent() (x, y float64) {
	dx, dy := -heartLobeX, heartPointY-heartLobeY // lobe centre to the point
	d := math.Hypot(dx, dy)
	cos, sin := heartRadius/d, math.Sqrt(1-heartRadius*heartRadius/(d*d))
	// Turn the unit vector to the point by acos(r/d), away from the middle.
	ux, uy := (dx*cos+dy*sin)/d, (-dx*sin+dy*cos)/d
	return heartLobeX + heartRadius*ux, heartLobeY + heartRadius*uy
}

// insideHeart tests the right half of the heart (x ≥ 0): the right lobe,
// or the quadrilateral (0, lobeY), (lobeX, lobeY), tangent point, point.
func insideHeart(x, y, tx, ty float64) bool {
	dx, dy := x-heartLobeX, y-heartLobeY
	if float64(dx*dx)+float64(dy*dy) <= heartRadius*heartRadius {
		return true
	}
	quad := [4][2]float64{{0, heartLobeY}, {heartLobeX, heartLobeY}, {tx, ty}, {0, heartPointY}}
	for i, a := range quad {
		b := quad[(i+1)%4]
		if float64((b[0]-a[0])*(y-a[1]))-float64((b[1]-a[1])*(x-a[0])) < 0 {
			return false
		}
	}
	return true
}

// area returns a shape's exact area in pixels at the given scale.
func area(shape int, scale float64) float64 {
	switch shape {
	case Square:
		return 4 * squareHalf * squareHalf * scale * scale
	case Ellipse:
		return math.Pi * ellipseA * ellipseB * scale * scale
	}
	tx, ty := heartTangent()
	// Right half: the quadrilateral (shoelace) plus the lobe less the
	// sector of it that lies inside the quadrilateral.
	quad := [4][2]float64{{0, heartLobeY}, {heartLobeX, heartLobeY}, {tx, ty}, {0, heartPointY}}
	var twice float64
	for i, a := range quad {
		b := quad[(i+1)%4]
		twice += a[0]*b[1] - b[0]*a[1]
	}
	sector := math.Pi - math.Atan2(ty-heartLobeY, tx-heartLobeX) // from the tangent to (0, lobeY)
	half := twice/2 + math.Pi*heartRadius*heartRadius - sector/2*heartRadius*heartRadius
	return 2 * half * scale * scale
}
