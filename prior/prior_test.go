package prior

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
)

// mixtureSample draws n points of a 2-D mixture with the given weights,
// means and (diagonal) standard deviations.
func mixtureSample(n int, seed uint64, weights []float64, means, stds [][2]float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, 0, 2*n)
	for range n {
		c := pick(weights, rng.Float64())
		x = append(x, means[c][0]+stds[c][0]*rng.NormFloat64(), means[c][1]+stds[c][1]*rng.NormFloat64())
	}
	return x
}

func TestFitGMMRecoversAMixture(t *testing.T) {
	weights := []float64{0.5, 0.3, 0.2}
	means := [][2]float64{{-4, 0}, {3, 3}, {2, -4}}
	stds := [][2]float64{{1, 0.5}, {0.6, 0.6}, {0.4, 1.2}}
	x := mixtureSample(6000, 7, weights, means, stds)
	g, iters, err := FitGMM(x, 2, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("EM converged in %d iterations", iters)
	for c := range means {
		// The component nearest to each true mean has its weight and spread.
		best, bestD := 0, math.Inf(1)
		for k := range g.K() {
			d := math.Hypot(g.Means[k][0]-means[c][0], g.Means[k][1]-means[c][1])
			if d < bestD {
				best, bestD = k, d
			}
		}
		if !(bestD <= 0.15) { // NaN fails too
			t.Errorf("component %d: nearest fitted mean %v is %.3f from %v", c, g.Means[best], bestD, means[c])
		}
		if !(math.Abs(g.Weights[best]-weights[c]) <= 0.03) {
			t.Errorf("component %d: weight %.3f, want %.2f", c, g.Weights[best], weights[c])
		}
		for j := range 2 {
			l := g.Chols[best]
			sd := math.Sqrt(l[j*2]*l[j*2] + l[j*2+1]*l[j*2+1])
			if !(math.Abs(sd-stds[c][j])/stds[c][j] <= 0.1) {
				t.Errorf("component %d, axis %d: std %.3f, want %.2f", c, j, sd, stds[c][j])
			}
		}
	}
	// Held-out data is likelier under the fit than under one Gaussian.
	held := mixtureSample(2000, 8, weights, means, stds)
	one, _, err := FitGMM(x, 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !(g.LogLikelihood(held) > one.LogLikelihood(held)+0.3) {
		t.Errorf("held-out log-likelihood %.3f with 3 components, %.3f with 1: want a clear gain",
			g.LogLikelihood(held), one.LogLikelihood(held))
	}
}

func TestFitGMMRefusesBadCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		k    int
		want string
	}{
		{"too few", []float64{1, 2, 3, 4}, 2, "too few"},
		{"NaN", append(mixtureSample(100, 1, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{1, 1}}), math.NaN(), 0), 2, "NaN"},
		{"ragged", []float64{1, 2, 3}, 1, "rows of 2"},
		{"no components", []float64{1, 2, 3, 4}, 0, "at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FitGMM(tc.x, 2, tc.k, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestMixturesSaveAndRead fits a mixture per class to two classes far
// apart, and checks that the mixtures read back draw what they drew, and
// that each code comes from its own label's mixture.
func TestMixturesSaveAndRead(t *testing.T) {
	run := t.TempDir()
	a := mixtureSample(1500, 3, []float64{0.6, 0.4}, [][2]float64{{-6, 0}, {-4, 1}}, [][2]float64{{1, 0.3}, {0.5, 1}})
	b := mixtureSample(1500, 4, []float64{0.5, 0.5}, [][2]float64{{6, 0}, {4, -1}}, [][2]float64{{0.5, 0.3}, {0.5, 1}})
	var x []float64
	labels := make([]int, 3000)
	for i := range labels {
		labels[i] = i % 2
		from := [][]float64{a, b}[i%2]
		x = append(x, from[i/2*2], from[i/2*2+1])
	}
	cfg := Config{Latent: 2, Classes: 2, Components: 2, Seed: 5}
	m, _, err := FitMixtures(cfg, Codes{Z: x, Labels: labels}, Codes{Z: x[:200], Labels: labels[:100]})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(Dir(run, KindGMM)); err != nil {
		t.Fatal(err)
	}
	s, err := Read(run, KindGMM)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.Mixtures()
	if err != nil {
		t.Fatal(err)
	}
	ys := make([]int, 200)
	for i := range ys {
		ys[i] = i % 3 % 2 // 0, 1, 0, 0, 1, 0, …
	}
	drawn, err := m.Sample(len(ys), 9, 1, ys)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.Sample(len(ys), 9, 1, ys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range drawn {
		if drawn[i] != again[i] {
			t.Fatalf("code value %d: %g before saving, %g after", i, drawn[i], again[i])
		}
	}
	for i, y := range ys { // class 0 lies left of x = 0, class 1 right
		if x := drawn[2*i]; !(x < 0 == (y == 0)) || math.IsNaN(float64(x)) {
			t.Fatalf("code %d of label %d: x = %g, on the other class's side", i, y, x)
		}
	}
	if _, err := m.Sample(5, 9, 1, nil); err == nil {
		t.Error("a conditional prior sampled without labels")
	}
}

func TestResolve(t *testing.T) {
	run := t.TempDir()
	if got, err := Resolve(run, Auto); err != nil || got != Normal {
		t.Errorf("auto without a fitted prior: %q, %v; want normal", got, err)
	}
	_, err := Resolve(run, KindDiffusion)
	if err == nil || !strings.Contains(err.Error(), "latent prior fit --run "+run+" --kind diffusion") {
		t.Errorf("an unfitted diffusion prior: %v; want the command that fits it", err)
	}
	x := mixtureSample(500, 3, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{1, 1}})
	m, _, err := FitMixtures(Config{Latent: 2, Components: 1}, Codes{Z: x}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(Dir(run, KindGMM)); err != nil {
		t.Fatal(err)
	}
	if got, err := Resolve(run, Auto); err != nil || got != KindGMM {
		t.Errorf("auto with a gmm prior: %q, %v; want gmm", got, err)
	}
	if _, err := Resolve(run, "flow"); err == nil {
		t.Error("an unknown prior name was accepted")
	}
}

func TestDamagedPriorIsAnErrorNamingIt(t *testing.T) {
	run := t.TempDir()
	x := mixtureSample(500, 3, []float64{1}, [][2]float64{{0, 0}}, [][2]float64{{1, 1}})
	m, _, err := FitMixtures(Config{Latent: 2, Components: 1}, Codes{Z: x}, Codes{Z: x})
	if err != nil {
		t.Fatal(err)
	}
	dir := Dir(run, KindGMM)
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.latent"))
	if len(files) != 1 {
		t.Fatalf("%d prior files, want 1", len(files))
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(files[0], raw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Read(run, KindGMM)
	if err == nil || !strings.Contains(err.Error(), files[0]) {
		t.Fatalf("a damaged prior: %v; want an error naming %s", err, files[0])
	}
}

// ring draws n points of eight Gaussians (std 0.1) on a circle of radius 2.
func ring(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float64, 0, 2*n)
	for range n {
		a := float64(rng.IntN(8)) * math.Pi / 4
		x = append(x, 2*math.Cos(a)+0.1*rng.NormFloat64(), 2*math.Sin(a)+0.1*rng.NormFloat64())
	}
	return x
}

// mmd is the (biased) squared MMD of two 2-D samples with a Gaussian kernel
// of bandwidth 0.5.
func mmd(a []float64, b []float32) float64 {
	bb := make([]float64, len(b))
	for i, v := range b {
		bb[i] = float64(v)
	}
	k := func(x, y []float64) float64 {
		s, n, m := 0.0, len(x)/2, len(y)/2
		for i := range n {
			for j := range m {
				dx, dy := x[2*i]-y[2*j], x[2*i+1]-y[2*j+1]
				s += math.Exp(-(dx*dx + dy*dy) / (2 * 0.25))
			}
		}
		return s / float64(n*m)
	}
	return k(a, a) + k(bb, bb) - 2*k(a, bb)
}

func TestDiffusionLearnsARing(t *testing.T) {
	b := testenv.XLA(t)
	for _, tc := range []struct {
		skip, whiten bool
		predict      string
	}{{false, false, PredictNoise}, {true, false, PredictNoise}, {true, true, PredictV}} {
		skip := tc.skip
		t.Run(fmt.Sprintf("skip=%v,whiten=%v,predict=%q", skip, tc.whiten, tc.predict), func(t *testing.T) {
			run := t.TempDir()
			dc := DiffusionConfig{Width: 64, Blocks: 2, Steps: 1500, BatchSize: 256, LR: 2e-3, EMA: 0.99, Skip: skip,
				Whiten: tc.whiten, Predict: tc.predict}
			cfg := Config{Latent: 2, Seed: 3, Diffusion: &dc}
			train, held := Codes{Z: ring(4000, 1)}, Codes{Z: ring(500, 2)}
			cfg.Moments(train.Z)
			if tc.whiten {
				if err := cfg.Whitening(train.Z); err != nil {
					t.Fatal(err)
				}
			}
			dir := Dir(run, KindDiffusion)
			if err := FitDiffusion(b.Backend, dir, cfg, train, held, FitOptions{SaveEvery: 500, EvalEvery: 500}); err != nil {
				t.Fatal(err)
			}
			s, err := Read(run, KindDiffusion)
			if err != nil {
				t.Fatal(err)
			}
			if s.Config.Diffusion.Skip != skip || hasVariable(s, "skip") != skip {
				t.Errorf("saved config skip %v, a skip variable %v; want both %v", s.Config.Diffusion.Skip, hasVariable(s, "skip"), skip)
			}
			if s.Config.Diffusion.Whiten != tc.whiten || (s.Config.Basis != nil) != tc.whiten || s.Config.Diffusion.Predict != tc.predict {
				t.Errorf("saved config whiten %v (a basis: %v), predict %q; want %v, %q",
					s.Config.Diffusion.Whiten, s.Config.Basis != nil, s.Config.Diffusion.Predict, tc.whiten, tc.predict)
			}
			d, err := s.Diffusion(b.Backend, 500)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Finalize()
			got, err := d.Sample(500, 4, 1, nil, 50)
			if err != nil {
				t.Fatal(err)
			}
			truth := ring(500, 5)
			fromPrior, fromNormal := mmd(truth, got), mmd(truth, normalNoise(1000, 6, 1))
			t.Logf("MMD² to the ring: diffusion %.4f, N(0, I) %.4f", fromPrior, fromNormal)
			if !(fromPrior <= 0.02 && fromNormal > 0.02) { // NaN fails too
				t.Errorf("MMD² diffusion %.4f, N(0, I) %.4f: want diffusion ≤ 0.02 < N(0, I)", fromPrior, fromNormal)
			}
		})
	}
}

// TestOldDiffusionConfigKeepsItsRecipe: a diffusion prior's config saved
// before whitening and v-prediction (no "whiten", "predict" or "basis")
// reads back as the noise-predicting, per-dimension standardised prior it
// was fitted as.
func TestOldDiffusionConfigKeepsItsRecipe(t *testing.T) {
	old := `{"kind":"diffusion","latent":2,"run_step":10,"draws":4,"draw_temperature":1,"seed":1,
		"mean":[1,-2],"std":[2,0.5],"diffusion":{"width":128,"blocks":3,"steps":32000,"batch_size":256,"lr":0.002,"ema":0.999,"skip":true}}`
	var c Config
	if err := json.Unmarshal([]byte(old), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Diffusion.Validate(); err != nil {
		t.Errorf("the old recipe: %v", err)
	}
	if c.Diffusion.Whiten || c.Diffusion.Predict != PredictNoise || c.Basis != nil {
		t.Errorf("old config: whiten %v, predict %q, basis %v; want false, %q (the noise), none", c.Diffusion.Whiten, c.Diffusion.Predict, c.Basis, PredictNoise)
	}
	if got, want := c.Describe(), "diffusion (width 128, 3 blocks, 32000 steps)"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	z := []float64{3, -1, -1, -2.5}
	got := c.standardise(z)
	want := []float32{1, 2, -1, -1}
	back := c.unstandardise(slices.Clone(got))
	for i := range want {
		if !(math.Abs(float64(got[i]-want[i])) <= 1e-6) || !(math.Abs(float64(back[i])-z[i]) <= 1e-6) {
			t.Fatalf("standardise(%v) = %v, back %v; want %v (per dimension), back %v", z, got, back, want, z)
		}
	}
}

// TestWhitening: codes of a correlated Gaussian, whitened by Whitening's
// basis, have the identity's covariance (but in a direction they do not
// vary in), and unstandardise maps them back.
func TestWhitening(t *testing.T) {
	for _, tc := range []struct {
		name string
		mix  [3][3]float64 // z = mix·g + shift, g ~ N(0, I)
	}{
		{"correlated", [3][3]float64{{2, 0, 0}, {1.5, 0.5, 0}, {0, -1, 0.1}}},
		{"scaled axes", [3][3]float64{{3, 0, 0}, {0, 0.2, 0}, {0, 0, 1}}},
		{"a plane (rank 2)", [3][3]float64{{1, 0, 0}, {1, 1, 0}, {0, 2, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n, d = 20000, 3
			rng := rand.New(rand.NewPCG(1, 2))
			z := make([]float64, n*d)
			for r := range n {
				g := [d]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
				for i := range d {
					z[r*d+i] = float64(i) - 1
					for k := range d {
						z[r*d+i] += tc.mix[i][k] * g[k]
					}
				}
			}
			c := Config{Latent: d}
			c.Moments(z)
			if err := c.Whitening(z); err != nil {
				t.Fatal(err)
			}
			x := c.standardise(z)
			for i := range d {
				for k := range d {
					cov := 0.0
					for r := range n {
						cov += float64(x[r*d+i]) * float64(x[r*d+k]) / n
					}
					want := map[bool]float64{true: 1, false: 0}[i == k]
					if rank2 := tc.mix[0][2] == 0 && tc.mix[1][2] == 0 && tc.mix[2][2] == 0; rank2 && i == 0 && k == 0 {
						want = 0 // the direction the codes do not vary in (eigenvalues ascend)
					}
					if !(math.Abs(cov-want) <= 1e-3) {
						t.Errorf("whitened covariance [%d, %d] = %.4f, want %g", i, k, cov, want)
					}
				}
			}
			back := c.unstandardise(x)
			for i := range z {
				if !(math.Abs(float64(back[i])-z[i]) <= 1e-4*(1+math.Abs(z[i]))) {
					t.Fatalf("code value %d: %g whitened and back is %g", i, z[i], back[i])
				}
			}
		})
	}
}

// hasVariable reports whether the saved prior has a variable whose name
// holds part.
func hasVariable(s *Saved, part string) bool {
	for _, v := range s.Ckpt.Vars {
		if strings.Contains(v.Scope+"/"+v.Name, part) {
			return true
		}
	}
	return false
}

// TestDiffusionResumeKeepsItsSkip: a fit made without the skip path,
// whitening or v-prediction (as priors fitted before them were) and resumed
// with the default recipe goes on without them, and its samples load.
func TestDiffusionResumeKeepsItsSkip(t *testing.T) {
	b := testenv.XLA(t)
	run := t.TempDir()
	dir := Dir(run, KindDiffusion)
	codes := Codes{Z: ring(400, 1)}
	fit := func(steps int64, skip, resume bool) {
		t.Helper()
		dc := DiffusionConfig{Width: 8, Blocks: 1, Steps: steps, BatchSize: 16, LR: 1e-3, EMA: 0.9, Skip: skip}
		cfg := Config{Latent: 2, Seed: 1, Diffusion: &dc}
		cfg.Moments(codes.Z)
		if resume { // a recipe that whitens and predicts v
			dc.Whiten, dc.Predict = true, PredictV
			if err := cfg.Whitening(codes.Z); err != nil {
				t.Fatal(err)
			}
		}
		if err := FitDiffusion(b.Backend, dir, cfg, codes, codes, FitOptions{Resume: resume, SaveEvery: 10, EvalEvery: 10}); err != nil {
			t.Fatal(err)
		}
	}
	fit(10, false, false)
	fit(20, true, true)
	s, err := Read(run, KindDiffusion)
	if err != nil {
		t.Fatal(err)
	}
	if s.Ckpt.Step != 20 || s.Config.Diffusion.Skip || hasVariable(s, "skip") {
		t.Errorf("resumed fit: step %d, config skip %v, a skip variable %v; want step 20 without the skip path",
			s.Ckpt.Step, s.Config.Diffusion.Skip, hasVariable(s, "skip"))
	}
	if dc := s.Config.Diffusion; dc.Whiten || s.Config.Basis != nil || dc.Predict != PredictNoise {
		t.Errorf("resumed fit: whiten %v (a basis: %v), predict %q; want the fit's own: not whitened, the noise",
			dc.Whiten, s.Config.Basis != nil, dc.Predict)
	}
	d, err := s.Diffusion(b.Backend, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Finalize()
	if _, err := d.Sample(4, 1, 1, nil, 3); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDiffusionSample64 draws 64 codes of 16 dimensions through the
// default denoiser (one training step) in the default 50 DDIM steps, warm.
func BenchmarkDiffusionSample64(b *testing.B) {
	be := testenv.XLA(b)
	dc := DefaultDiffusion()
	dc.Steps = 1
	cfg := Config{Latent: 16, Seed: 1, Diffusion: &dc}
	codes := Codes{Z: ring(800, 1)} // 100 codes of 16 values
	cfg.Moments(codes.Z)
	run := b.TempDir()
	if err := FitDiffusion(be.Backend, Dir(run, KindDiffusion), cfg, codes, codes, FitOptions{}); err != nil {
		b.Fatal(err)
	}
	saved, err := Read(run, KindDiffusion)
	if err != nil {
		b.Fatal(err)
	}
	d, err := saved.Diffusion(be.Backend, 64)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Finalize()
	if _, err := d.Sample(64, 1, 1, nil, 50); err != nil { // compiles
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := d.Sample(64, int64(i), 1, nil, 50); err != nil {
			b.Fatal(err)
		}
	}
}
