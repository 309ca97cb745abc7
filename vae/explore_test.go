package vae

import (
	"io"
	"math"
	"slices"
	"testing"

	"github.com/latent-vae/latent/generate"
)

// TestInterpolate: each pair's path, pair after pair, starts and ends at
// the decoded endpoints.
func TestInterpolate(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	d, size := s.Model.Latent, s.Model.Height*s.Model.Width*s.Model.Channels
	codes := generate.RandomLatents(4, d, 7, 1)
	ends := [][]float32{codes[:d], codes[d : 2*d], codes[2*d : 3*d], codes[3*d:]}
	images, err := s.Interpolate(generate.MethodLerp, ends, nil, 3)
	if err != nil || len(images) != 2*3*size {
		t.Fatalf("Interpolate: %d values, %v; want %d", len(images), err, 2*3*size)
	}
	decoded, err := s.Decode(codes, nil)
	if err != nil {
		t.Fatal(err)
	}
	frame := func(v []float32, i int) []float32 { return v[i*size : (i+1)*size] }
	for k, want := range map[int]int{0: 0, 2: 1, 3: 2, 5: 3} { // frame k of the six is endpoint want
		if !slices.Equal(frame(images, k), frame(decoded, want)) {
			t.Errorf("frame %d is not endpoint %d decoded", k, want)
		}
	}
}

// TestUnitKL: KL(N(μ, σ²) ‖ N(0, 1)) per dimension, averaged over images.
func TestUnitKL(t *testing.T) {
	means := []float32{0, 1, 0, 3}   // two images of two dimensions
	logVars := []float32{0, 0, 0, 0} // σ = 1
	got := UnitKL(means, logVars, 2)
	want := []float64{0, (0.5*1 + 0.5*9) / 2}
	for d := range want {
		if !(math.Abs(got[d]-want[d]) < 1e-12) {
			t.Errorf("dimension %d: KL %g, want %g", d, got[d], want[d])
		}
	}
	if kl := UnitKL([]float32{0}, []float32{float32(math.Log(4))}, 1)[0]; !(math.Abs(kl-0.5*(4-math.Log(4)-1)) < 1e-6) {
		t.Errorf("σ² = 4: KL %g, want %g", kl, 0.5*(4-math.Log(4)-1))
	}
}
