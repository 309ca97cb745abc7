package prior

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// gaussianSample draws n rows of mean + L·ε (L lower-triangular, row-major).
func gaussianSample(n int, seed uint64, mean, l []float64) []float64 {
	d := len(mean)
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, 0, n*d)
	eps := make([]float64, d)
	for range n {
		for j := range eps {
			eps[j] = rng.NormFloat64()
		}
		for r := range d {
			s := mean[r]
			for c := 0; c <= r; c++ {
				s += l[r*d+c] * eps[c]
			}
			out = append(out, s)
		}
	}
	return out
}

// moments are the mean and the (maximum likelihood) covariance, row-major,
// of rows of d values.
func moments[T float32 | float64](x []T, d int) (mean, cov []float64) {
	n := float64(len(x) / d)
	mean, cov = make([]float64, d), make([]float64, d*d)
	for i, v := range x {
		mean[i%d] += float64(v) / n
	}
	for i := 0; i < len(x); i += d {
		for r := range d {
			for c := range d {
				cov[r*d+c] += (float64(x[i+r]) - mean[r]) * (float64(x[i+c]) - mean[c]) / n
			}
		}
	}
	return mean, cov
}

// covOf is L·Lᵀ.
func covOf(l []float64, d int) []float64 {
	out := make([]float64, d*d)
	for r := range d {
		for c := range d {
			for k := range d {
				out[r*d+c] += l[r*d+k] * l[c*d+k]
			}
		}
	}
	return out
}

// near fails unless got and want agree within tol everywhere (NaN fails).
func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= tol) {
			t.Errorf("%s[%d] = %g, want %g ± %g", what, i, got[i], want[i], tol)
		}
	}
}

// fitGaussianKind fits the registered gaussian kind to codes in a run
// folder, through its recipe as `latent prior fit` does, and opens it.
func fitGaussianKind(t *testing.T, cfg Config, codes Codes) Sampler {
	t.Helper()
	k, ok := Lookup(KindGaussian)
	if !ok {
		t.Fatal("the gaussian kind is not registered")
	}
	run := t.TempDir()
	w, err := Begin(run, k.Name, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Release()
	recipe := k.Flags(flag.NewFlagSet("", flag.ContinueOnError))
	counts := []int{len(codes.Z) / cfg.Latent}
	if cfg.Classes > 0 {
		counts = make([]int, cfg.Classes)
		for _, y := range codes.Labels {
			counts[y]++
		}
	}
	if err := recipe.Check(); err != nil {
		t.Fatal(err)
	}
	if err := recipe.Ready(w, cfg, counts); err != nil {
		t.Fatal(err)
	}
	cfg.Kind = k.Name
	if _, err := recipe.Fit(Job{Workspace: w, Config: cfg, Training: codes, HeldOut: codes, Start: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	saved, err := Read(run, k.Name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := saved.Open(nil, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGaussianFitsAKnownGaussian: the gaussian prior fitted to a known
// Gaussian's samples draws codes of its mean and covariance, its spread
// scaled by the temperature.
func TestGaussianFitsAKnownGaussian(t *testing.T) {
	mean := []float64{2, -1, 0.5}
	l := []float64{1, 0, 0, 0.6, 0.8, 0, -0.3, 0.2, 0.5}
	const n = 20000
	s := fitGaussianKind(t, Config{Latent: 3, Seed: 1}, Codes{Z: gaussianSample(n, 3, mean, l)})
	defer s.Close()
	for _, temp := range []float64{1, 0.5} {
		z, err := s.Sample(n, 7, temp, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, cov := moments(z, 3)
		want := covOf(l, 3)
		for i := range want {
			want[i] *= temp * temp
		}
		near(t, "mean", m, mean, 0.05)
		near(t, "covariance", cov, want, 0.05)
	}
	z, err := s.Sample(4, 7, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range z { // temperature 0 draws the mean
		if d := math.Abs(float64(v) - mean[i%3]); !(d <= 0.05) {
			t.Errorf("temperature 0: code value %d = %g, want the mean %g", i, v, mean[i%3])
		}
	}
}

// TestGaussianConditional: a conditional run gets a Gaussian per class, and
// code i is drawn from the Gaussian of labels[i].
func TestGaussianConditional(t *testing.T) {
	means := [][]float64{{-4, 0}, {4, 2}}
	ls := [][]float64{{1, 0, 0.5, 0.5}, {0.5, 0, -0.2, 1}}
	const n = 8000
	a, b := gaussianSample(n, 1, means[0], ls[0]), gaussianSample(n, 2, means[1], ls[1])
	var z []float64
	labels := make([]int, 2*n)
	for i := range labels {
		labels[i] = i % 2
		from := [][]float64{a, b}[i%2]
		z = append(z, from[i/2*2:i/2*2+2]...)
	}
	s := fitGaussianKind(t, Config{Latent: 2, Classes: 2, Seed: 1}, Codes{Z: z, Labels: labels})
	defer s.Close()
	if _, err := s.Sample(4, 1, 1, nil); err == nil {
		t.Error("a conditional prior sampled without labels")
	}
	ys := make([]int, n)
	for i := range ys {
		ys[i] = i % 3 % 2
	}
	drawn, err := s.Sample(n, 5, 1, ys)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		var of []float32
		for i, y := range ys {
			if y == c {
				of = append(of, drawn[2*i:2*i+2]...)
			}
		}
		m, cov := moments(of, 2)
		near(t, "class mean", m, means[c], 0.06)
		near(t, "class covariance", cov, covOf(ls[c], 2), 0.06)
	}
}

// TestGaussianIsAOneComponentMixture: the gaussian kind fits what a
// 1-component gmm fits (make calibrate's "one Gaussian" row).
func TestGaussianIsAOneComponentMixture(t *testing.T) {
	x := gaussianSample(3000, 9, []float64{1, 2}, []float64{1, 0, 0.4, 0.3})
	g, err := FitGaussians(Config{Latent: 2}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := FitMixtures(Config{Latent: 2, Components: 1, Seed: 1}, Codes{Z: x}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mean", g.PerClass[0].Means[0], m.PerClass[0].Means[0], 1e-9)
	near(t, "Cholesky factor", g.PerClass[0].Chols[0], m.PerClass[0].Chols[0], 1e-9)
}

// TestGaussianRefusesTooFewCodes: a class with fewer than d+1 codes is
// refused before the codes are encoded, naming --draws.
func TestGaussianRefusesTooFewCodes(t *testing.T) {
	k, _ := Lookup(KindGaussian)
	r := k.Flags(flag.NewFlagSet("", flag.ContinueOnError))
	if err := r.Ready(nil, Config{Latent: 4}, []int{100, 3}); err == nil {
		t.Error("a class of 3 codes in 4 dimensions was accepted")
	}
	if err := r.Ready(nil, Config{Latent: 4}, []int{100, 5}); err != nil {
		t.Error(err)
	}
}
