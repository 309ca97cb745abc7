package embedding

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitPCARecoversAxes stretches Gaussian points along known orthonormal
// axes (a rotation of the coordinate axes) and checks PCA finds them, in
// order of variance, up to sign.
func TestFitPCARecoversAxes(t *testing.T) {
	tests := []struct {
		name   string
		d      int
		stds   []float64 // along each true axis, largest first
		center []float64
	}{
		{"2-D", 2, []float64{5, 1}, []float64{3, -2}},
		{"4-D", 4, []float64{6, 3, 1, 0.2}, []float64{1, 2, 3, 4}},
		{"16-D, 2 big", 16, append([]float64{8, 4}, repeat(0.5, 14)...), make([]float64, 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(tt.d)))
			axes := randomRotation(rng, tt.d)
			const n = 4000
			points := make([]float64, n*tt.d)
			for i := range n {
				for a, std := range tt.stds {
					c := std * rng.NormFloat64()
					for j := range tt.d {
						points[i*tt.d+j] += c * axes[a][j]
					}
				}
				for j := range tt.d {
					points[i*tt.d+j] += tt.center[j]
				}
			}
			k := 2
			p, err := FitPCA(points, tt.d, k)
			if err != nil {
				t.Fatal(err)
			}
			for c := range k {
				dot := 0.0
				for j := range tt.d {
					dot += p.Components[c][j] * axes[c][j]
				}
				if !(math.Abs(math.Abs(dot)-1) <= 0.01) {
					t.Errorf("component %d: |cos| with true axis = %.4f, want ≈ 1", c, math.Abs(dot))
				}
				want := tt.stds[c] * tt.stds[c]
				if !(math.Abs(p.Variances[c]-want) <= 0.1*want) {
					t.Errorf("component %d: variance %.3f, want ≈ %.3f", c, p.Variances[c], want)
				}
			}
			for j := range tt.d {
				if !(math.Abs(p.Mean[j]-tt.center[j]) <= 0.3) {
					t.Errorf("mean[%d] = %.3f, want ≈ %.3f", j, p.Mean[j], tt.center[j])
				}
			}
			proj := p.Project(points)
			if len(proj) != n || len(proj[0]) != k {
				t.Fatalf("Project gave %d×%d, want %d×%d", len(proj), len(proj[0]), n, k)
			}
			var v0 float64
			for _, q := range proj {
				v0 += q[0] * q[0] / (n - 1)
			}
			if !(math.Abs(v0-p.Variances[0]) <= 1e-6*v0) {
				t.Errorf("variance of the projections on axis 0 = %.6f, PCA says %.6f", v0, p.Variances[0])
			}
		})
	}
}

func TestFitPCAErrors(t *testing.T) {
	tests := []struct {
		name   string
		points []float64
		d, k   int
	}{
		{"ragged", []float64{1, 2, 3}, 2, 1},
		{"one point", []float64{1, 2}, 2, 1},
		{"too many components", []float64{1, 2, 3, 4}, 2, 3},
		{"zero components", []float64{1, 2, 3, 4}, 2, 0},
	}
	for _, tt := range tests {
		if _, err := FitPCA(tt.points, tt.d, tt.k); err == nil {
			t.Errorf("%s: FitPCA gave no error", tt.name)
		}
	}
}

// randomRotation returns d orthonormal vectors (Gram–Schmidt on Gaussian
// vectors).
func randomRotation(rng *rand.Rand, d int) [][]float64 {
	var out [][]float64
	for len(out) < d {
		v := make([]float64, d)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		for _, u := range out {
			var dot float64
			for j := range v {
				dot += v[j] * u[j]
			}
			for j := range v {
				v[j] -= dot * u[j]
			}
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for j := range v {
			v[j] /= norm
		}
		out = append(out, v)
	}
	return out
}

func repeat(x float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x
	}
	return out
}
