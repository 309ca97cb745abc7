package prior

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// replayMixture draws codes as a sampler outside latent does from the
// noise MixtureNoise returns: the component whose cumulative weight first
// exceeds u, then mean + L·(T·ε).
func replayMixture(m *Mixtures, u, eps []float64, temperature float64, labels []int) []float32 {
	d := m.Config.Latent
	out := make([]float32, len(u)*d)
	for i := range u {
		g := m.PerClass[0]
		if len(m.PerClass) > 1 {
			g = m.PerClass[labels[i]]
		}
		c := pick(g.Weights, u[i])
		for r := range d {
			s := g.Means[c][r]
			for j := 0; j <= r; j++ {
				s += g.Chols[c][r*d+j] * (temperature * eps[i*d+j])
			}
			out[i*d+r] = float32(s)
		}
	}
	return out
}

// TestMixtureNoiseReplaysSample: the noise MixtureNoise returns gives, by
// the documented rule, exactly the codes Sample draws, for an
// unconditional mixture and a conditional one (whose classes draw from
// streams of their own), at two temperatures.
func TestMixtureNoiseReplaysSample(t *testing.T) {
	x := mixtureSample(600, 3, []float64{0.5, 0.3, 0.2}, [][2]float64{{-3, 0}, {2, 2}, {1, -3}}, [][2]float64{{1, 0.5}, {0.5, 0.5}, {0.3, 1}})
	labels := make([]int, 300)
	for i := range labels {
		labels[i] = i % 3 % 2
	}
	for _, classes := range []int{0, 2} {
		cfg := Config{Latent: 2, Components: 3, Classes: classes, Seed: 1}
		var ys []int
		if classes > 0 {
			ys = labels
		}
		m, _, err := FitMixtures(cfg, Codes{Z: x, Labels: ys}, Codes{Z: x, Labels: ys})
		if err != nil {
			t.Fatal(err)
		}
		n := 40
		draw := ys
		if classes > 0 {
			draw = labels[:n]
		}
		u, eps, err := m.MixtureNoise(n, 9, draw)
		if err != nil {
			t.Fatal(err)
		}
		for _, temp := range []float64{1, 0.6} {
			want, err := m.Sample(n, 9, temp, draw)
			if err != nil {
				t.Fatal(err)
			}
			if got := replayMixture(m, u, eps, temp, draw); !slices.Equal(got, want) || len(got) != n*2 {
				t.Errorf("%d classes, temperature %g: the replayed noise gives %v, Sample %v", classes, temp, got[:4], want[:4])
			}
		}
	}
}

// TestDiffusionNoiseIsTheStart: DiffusionNoise at temperature T, rounded to
// float32, is the noise the diffusion sampler starts from.
func TestDiffusionNoiseIsTheStart(t *testing.T) {
	eps := DiffusionNoise(5, 3, 4)
	want := normalNoise(15, 4, 0.7)
	for i, e := range eps {
		if got := float32(e * 0.7); got != want[i] {
			t.Fatalf("value %d: float32(0.7·%g) = %g, the sampler starts from %g", i, e, got, want[i])
		}
	}
}

// TestExportMixtureShapes: a gmm exports weights [C, K], means [C, K, D]
// and Cholesky factors [C, K, D, D], a class of fewer components padded
// with unused ones; a gaussian exports as a one-component mixture.
func TestExportMixtureShapes(t *testing.T) {
	m := &Mixtures{Config: Config{Kind: KindGMM, Latent: 2, Classes: 2, Components: 2}, PerClass: []*GMM{
		{D: 2, Weights: []float64{0.4, 0.6}, Means: [][]float64{{1, 2}, {3, 4}}, Chols: [][]float64{{1, 0, 0.5, 2}, {2, 0, 0, 1}}},
		{D: 2, Weights: []float64{1}, Means: [][]float64{{5, 6}}, Chols: [][]float64{{3, 0, 1, 1}}},
	}}
	ts := m.tensors()
	want := map[string][]float64{
		"weights": {0.4, 0.6, 1, 0},
		"means":   {1, 2, 3, 4, 5, 6, 0, 0},
		"chols":   {1, 0, 0.5, 2, 2, 0, 0, 1, 3, 0, 1, 1, 1, 0, 0, 1},
	}
	dims := map[string][]int{"weights": {2, 2}, "means": {2, 2, 2}, "chols": {2, 2, 2, 2}}
	for _, tt := range ts {
		got := tensors.MustCopyFlatData[float64](tt.Value)
		if !slices.Equal(got, want[tt.Name]) || !slices.Equal(tt.Value.Shape().Dimensions, dims[tt.Name]) {
			t.Errorf("%s: %v %v, want %v %v", tt.Name, tt.Value.Shape().Dimensions, got, dims[tt.Name], want[tt.Name])
		}
	}
	if len(ts) != 3 {
		t.Errorf("%d tensors, want weights, means and chols", len(ts))
	}

	run := t.TempDir()
	x := mixtureSample(100, 1, []float64{1}, [][2]float64{{1, -1}}, [][2]float64{{1, 2}})
	g, err := FitGaussians(Config{Kind: KindGaussian, Latent: 2}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := saveGaussians(Dir(run, KindGaussian), g); err != nil {
		t.Fatal(err)
	}
	s, err := Read(run, KindGaussian)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Export()
	if err != nil {
		t.Fatal(err)
	}
	w := tensors.MustCopyFlatData[float64](e.Tensors[0].Value)
	mean := tensors.MustCopyFlatData[float64](e.Tensors[1].Value)
	if e.Spec.Sampler != SamplerMixture || !slices.Equal(w, []float64{1}) || !slices.Equal(mean, g.PerClass[0].Means[0]) ||
		math.IsNaN(mean[0]) {
		t.Errorf("gaussian exported as %s with weights %v, means %v; want a one-component mixture of mean %v",
			e.Spec.Sampler, w, mean, g.PerClass[0].Means[0])
	}
}
