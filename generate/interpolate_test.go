package generate

import (
	"math"
	"slices"
	"testing"
)

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestInterpolateEndpointsExact(t *testing.T) {
	// Values whose float64 arithmetic would not round-trip exactly
	// through (1−t)·a + t·b or the slerp weights.
	a := []float32{0.1, -3.7, 1e-7, 12345.679, float32(math.Pi)}
	b := []float32{-0.3, 2.2, 7.77, -1e-3, float32(math.E)}
	zero := make([]float32, len(a))
	tests := []struct {
		name string
		a, b []float32
	}{
		{"general", a, b},
		{"parallel", a, scaled(a, 2.5)},
		{"antiparallel", a, scaled(a, -1)},
		{"zero start", zero, b},
		{"zero end", a, zero},
		{"equal", a, a},
	}
	for _, tc := range tests {
		for _, m := range []Method{MethodLerp, MethodSlerp} {
			for _, end := range []struct {
				t    float64
				want []float32
			}{{0, tc.a}, {1, tc.b}} {
				got := m.Interpolate(tc.a, tc.b, end.t)
				if !slices.Equal(got, end.want) {
					t.Errorf("%s %s at t=%v = %v, want %v exactly", tc.name, m, end.t, got, end.want)
				}
				if len(got) > 0 && &got[0] == &end.want[0] {
					t.Errorf("%s %s at t=%v returns the endpoint itself, not a copy", tc.name, m, end.t)
				}
			}
		}
	}
}

func scaled(v []float32, k float32) []float32 {
	out := make([]float32, len(v))
	for i := range v {
		out[i] = v[i] * k
	}
	return out
}

func TestSlerpFollowsTheGreatCircle(t *testing.T) {
	// Orthogonal unit vectors: the midpoint keeps unit norm and bisects
	// the angle; lerp's midpoint has norm 1/√2.
	a, b := []float32{1, 0, 0}, []float32{0, 1, 0}
	mid := Slerp(a, b, 0.5)
	want := float32(1 / math.Sqrt2)
	for i, w := range []float32{want, want, 0} {
		if math.Abs(float64(mid[i]-w)) > 1e-6 {
			t.Fatalf("Slerp midpoint = %v, want [%v %v 0]", mid, want, want)
		}
	}
	if n := norm(Lerp(a, b, 0.5)); math.Abs(n-1/math.Sqrt2) > 1e-6 {
		t.Errorf("Lerp midpoint norm = %v, want %v", n, 1/math.Sqrt2)
	}
	// Equal-norm endpoints: every slerp point keeps the norm.
	c, d := []float32{3, 4, 0}, []float32{0, 0, 5}
	for _, tt := range []float64{0.1, 0.33, 0.9} {
		if n := norm(Slerp(c, d, tt)); math.Abs(n-5) > 1e-5 {
			t.Errorf("Slerp(t=%v) norm = %v, want 5", tt, n)
		}
	}
}

func TestSlerpFallsBackToLerp(t *testing.T) {
	a := []float32{1, 2, 3}
	tests := []struct {
		name string
		b    []float32
	}{
		{"parallel", []float32{2, 4, 6}},
		{"antiparallel", []float32{-1, -2, -3}},
		{"zero", []float32{0, 0, 0}},
		{"tiny", []float32{1e-20, 0, 0}},
	}
	for _, tc := range tests {
		got, want := Slerp(a, tc.b, 0.3), Lerp(a, tc.b, 0.3)
		for i := range got {
			if math.IsNaN(float64(got[i])) || got[i] != want[i] {
				t.Errorf("%s: Slerp = %v, want Lerp's %v", tc.name, got, want)
				break
			}
		}
	}
}

func TestPath(t *testing.T) {
	a, b := []float32{0, 10}, []float32{4, -2}
	p := MethodLerp.Path(a, b, 5)
	want := []float32{0, 10, 1, 7, 2, 4, 3, 1, 4, -2}
	if !slices.Equal(p, want) {
		t.Errorf("Path = %v, want %v", p, want)
	}
}

func TestParseMethod(t *testing.T) {
	for _, s := range []string{"lerp", "slerp"} {
		if m, err := ParseMethod(s); err != nil || string(m) != s {
			t.Errorf("ParseMethod(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMethod("cubic"); err == nil {
		t.Error("ParseMethod(cubic) succeeded")
	}
}

func TestRandomLatents(t *testing.T) {
	z1, z2 := RandomLatents(500, 4, 7, 2), RandomLatents(500, 4, 7, 2)
	if !slices.Equal(z1, z2) {
		t.Fatal("the same seed gave different latents")
	}
	if slices.Equal(z1, RandomLatents(500, 4, 8, 2)) {
		t.Error("different seeds gave the same latents")
	}
	var sum, sumSq float64
	for _, v := range z1 {
		sum += float64(v)
		sumSq += float64(v) * float64(v)
	}
	mean, std := sum/2000, math.Sqrt(sumSq/2000-sum*sum/4e6)
	if math.Abs(mean) > 0.15 || math.Abs(std-2) > 0.15 {
		t.Errorf("temperature 2: mean %v, std %v; want about 0 and 2", mean, std)
	}
	if slices.ContainsFunc(RandomLatents(10, 3, 1, 0), func(v float32) bool { return v != 0 }) {
		t.Error("temperature 0 gave non-zero latents")
	}
}

func TestTraversal(t *testing.T) {
	base := []float32{1, -2}
	got := Traversal(base, 3, 0.5)
	want := []float32{
		0.5, -2, 1, -2, 1.5, -2, // dimension 0 swept
		1, -2.5, 1, -2, 1, -1.5, // dimension 1 swept
	}
	if !slices.Equal(got, want) {
		t.Errorf("Traversal = %v, want %v", got, want)
	}
}
