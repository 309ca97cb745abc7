package generate

import (
	"fmt"
	"math"

	"github.com/latent-vae/latent/models"
)

// Method is a way of interpolating between two latent codes.
type Method string

// Interpolation methods.
const (
	MethodLerp  Method = "lerp"  // straight line
	MethodSlerp Method = "slerp" // great circle, keeping the norm of Gaussian codes typical
)

// ParseMethod checks that s names an interpolation method.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case MethodLerp, MethodSlerp:
		return m, nil
	}
	return "", fmt.Errorf("interpolation method %q: want %q or %q", s, MethodLerp, MethodSlerp)
}

// Interpolate returns the point at t in [0, 1] between a and b by method m.
func (m Method) Interpolate(a, b []float32, t float64) []float32 {
	if m == MethodSlerp {
		return Slerp(a, b, t)
	}
	return Lerp(a, b, t)
}

// Path returns frames codes from a to b inclusive, evenly spaced in t, joined
// into one slice of frames*len(a) values. One frame is a alone.
func (m Method) Path(a, b []float32, frames int) []float32 {
	out := make([]float32, 0, frames*len(a))
	for i := range frames {
		t := 0.0
		if frames > 1 {
			t = float64(i) / float64(frames-1)
		}
		out = append(out, m.Interpolate(a, b, t)...)
	}
	return out
}

// Lerp returns (1−t)·a + t·b, computed in float64. At t = 0 and t = 1 it
// returns exact copies of a and b. a and b must have the same length.
func Lerp(a, b []float32, t float64) []float32 {
	switch t {
	case 0:
		return clone(a)
	case 1:
		return clone(b)
	}
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32((1-t)*float64(a[i]) + t*float64(b[i]))
	}
	return out
}

// slerpMinSin is the sine of the angle below which a and b count as
// parallel or antiparallel; slerpMinNorm is the norm below which a vector
// has no direction. Slerp falls back to Lerp in both cases.
const (
	slerpMinSin  = 1e-6
	slerpMinNorm = 1e-12
)

// Slerp interpolates along the great circle from a to b:
// sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b, where Ω is the angle between
// them. It falls back to Lerp when a or b is (nearly) zero or when they are
// (nearly) parallel or antiparallel, where the great circle is undefined.
// At t = 0 and t = 1 it returns exact copies of a and b.
func Slerp(a, b []float32, t float64) []float32 {
	switch t {
	case 0:
		return clone(a)
	case 1:
		return clone(b)
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	na, nb = math.Sqrt(na), math.Sqrt(nb)
	if na < slerpMinNorm || nb < slerpMinNorm {
		return Lerp(a, b, t)
	}
	cos := max(-1, min(1, dot/(na*nb)))
	omega := math.Acos(cos)
	sin := math.Sin(omega)
	if sin < slerpMinSin {
		return Lerp(a, b, t)
	}
	wa, wb := math.Sin((1-t)*omega)/sin, math.Sin(t*omega)/sin
	out := make([]float32, len(a))
	for i := range a {
		out[i] = float32(wa*float64(a[i]) + wb*float64(b[i]))
	}
	return out
}

func clone(v []float32) []float32 { return append([]float32(nil), v...) }

// RandomLatents returns n codes of dim values drawn from N(0, T²I) with
// T = temperature, from a generator seeded by seed: the Gaussian latent
// kind's prior (models.NormalCodes).
func RandomLatents(n, dim int, seed int64, temperature float64) []float32 {
	return models.NormalCodes(n, dim, seed, temperature)
}

// Traversal returns the codes of a latent traversal: for each dimension d
// of base in turn, steps codes equal to base except that dimension d runs
// evenly from base[d]−span to base[d]+span. The result holds
// len(base)*steps codes, dimension-major (one row per dimension).
func Traversal(base []float32, steps int, span float64) []float32 {
	dim := len(base)
	out := make([]float32, 0, dim*steps*dim)
	for d := range dim {
		for s := range steps {
			code := clone(base)
			code[d] = float32(float64(base[d]) + SweepOffset(s, steps, span))
			out = append(out, code...)
		}
	}
	return out
}

// SweepOffset is the offset of step s of steps evenly spaced over
// [−span, +span]; a single step sits at the centre.
func SweepOffset(s, steps int, span float64) float64 {
	if steps <= 1 {
		return 0
	}
	return -span + 2*span*float64(s)/float64(steps-1)
}
