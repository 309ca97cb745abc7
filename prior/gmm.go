package prior

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/gomlx/gomlx/backends"
	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/internal/parallel"
)

// GMM is a Gaussian mixture with full covariances over D-dimensional codes,
// fitted by EM in float64 (Ghosh et al. 2020's ex-post density estimate).
type GMM struct {
	D       int
	Weights []float64   // mixing weights, summing to 1
	Means   [][]float64 // [K][D]
	// Chols holds each covariance's lower Cholesky factor L (Σ = L·Lᵀ),
	// D×D row-major; the upper triangle is zero.
	Chols [][]float64
}

// K is the number of components.
func (g *GMM) K() int { return len(g.Weights) }

// Covariance regularisation added to every component's diagonal, and the
// EM iterations' defaults.
const (
	gmmReg     = 1e-6
	gmmMaxIter = 100
	gmmTol     = 1e-3 // stop when the mean log-likelihood gains less than this (nats), as scikit-learn does
	// gmmNegligible is the responsibility below which a row is left out
	// of a component's M-step: a row holds a few components' mass, so
	// with many components most of the M-step's work was on weights of
	// e^−30 and less, which move no mean or covariance by a float64 bit
	// that matters.
	gmmNegligible = 1e-13
)

// FitGMM fits a k-component full-covariance mixture to x (n rows of d
// values) by EM, started from k-means++ centres drawn with seed. It returns
// the mixture and the number of iterations run.
func FitGMM(x []float64, d, k int, seed int64) (*GMM, int, error) {
	n := len(x) / d
	switch {
	case d < 1 || len(x)%d != 0:
		return nil, 0, fmt.Errorf("%d values are not rows of %d", len(x), d)
	case k < 1:
		return nil, 0, fmt.Errorf("%d components: want at least 1", k)
	case n < 2*k:
		return nil, 0, fmt.Errorf("%d codes are too few for %d components (want at least %d)", n, k, 2*k)
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, 0, errors.New("the codes hold NaN or infinite values")
		}
	}
	// As scikit-learn starts EM: k-means from k-means++ seeds, then one
	// M-step from the clusters (each its own weight, mean and covariance).
	centres := kmeansPP(x, d, k, rand.New(rand.NewPCG(uint64(seed), 0x676d6d)))
	assign := kmeans(x, d, centres)
	g := &GMM{D: d, Weights: make([]float64, k), Means: make([][]float64, k), Chols: make([][]float64, k)}
	resp := make([]float64, n*k)
	for i, c := range assign {
		resp[i*k+c] = 1
	}
	if err := g.maximise(x, resp); err != nil {
		return nil, 0, fmt.Errorf("the k-means clusters: %w", err)
	}
	prev := math.Inf(-1)
	for it := 1; it <= gmmMaxIter; it++ {
		ll := g.responsibilities(x, resp)
		if err := g.maximise(x, resp); err != nil {
			return nil, it, err
		}
		if ll-prev < gmmTol {
			return g, it, nil
		}
		prev = ll
	}
	return g, gmmMaxIter, nil
}

// responsibilities fills resp [n][K] with each row's posterior over the
// components and returns the mean log-likelihood of the rows.
func (g *GMM) responsibilities(x []float64, resp []float64) float64 {
	n, k := len(x)/g.D, g.K()
	lls := make([]float64, n)
	parallel.Ranges(n, func(_, lo, hi int) {
		lp := make([]float64, k)
		buf := make([]float64, g.D)
		for i := lo; i < hi; i++ {
			row := x[i*g.D : (i+1)*g.D]
			for c := range k {
				lp[c] = math.Log(g.Weights[c]) + g.logNormal(c, row, buf)
			}
			lse := logSumExp(lp)
			for c := range k {
				r := math.Exp(lp[c] - lse)
				if r < gmmNegligible {
					r = 0 // so that the M-step skips the row for component c
				}
				resp[i*k+c] = r
			}
			lls[i] = lse
		}
	})
	s := 0.0
	for _, v := range lls {
		s += v
	}
	return s / float64(n)
}

// maximise sets the weights, means and covariances from resp, the
// components in parallel.
func (g *GMM) maximise(x, resp []float64) error {
	k := g.K()
	errs := make([]error, k)
	parallel.Each(k, func(c int) { errs[c] = g.maximiseOne(c, x, resp) })
	return errors.Join(errs...)
}

// maximiseOne sets component c's weight, mean and covariance from resp.
func (g *GMM) maximiseOne(c int, x, resp []float64) error {
	n, k, d := len(x)/g.D, g.K(), g.D
	w := make([]float64, n)
	nk := 0.0
	for i := range n {
		w[i] = resp[i*k+c]
		nk += w[i]
	}
	nk = max(nk, 1e-12)
	mean := make([]float64, d)
	for i := range n {
		if w[i] == 0 {
			continue
		}
		for j := range d {
			mean[j] += w[i] * x[i*d+j]
		}
	}
	for j := range mean {
		mean[j] /= nk
	}
	chol, err := cholesky(covariance(x, d, w, mean), d)
	if err != nil {
		return fmt.Errorf("component %d: %w", c, err)
	}
	g.Weights[c], g.Means[c], g.Chols[c] = nk/float64(n), mean, chol
	return nil
}

// LogLikelihood is the mean log-density of the rows of x, in nats per code.
func (g *GMM) LogLikelihood(x []float64) float64 {
	return g.responsibilities(x, make([]float64, len(x)/g.D*g.K()))
}

// logNormal is log N(row | mean_c, Σ_c), using buf (D values) as scratch.
func (g *GMM) logNormal(c int, row, buf []float64) float64 {
	l, mean, d := g.Chols[c], g.Means[c], g.D
	quad, logDet := 0.0, 0.0
	for i := range d { // forward substitution: L y = row − mean
		s := row[i] - mean[i]
		li := l[i*d : i*d+i+1]
		for j, v := range li[:i] {
			s -= v * buf[j]
		}
		buf[i] = s / li[i]
		quad += buf[i] * buf[i]
		logDet += math.Log(li[i])
	}
	return -0.5*quad - logDet - 0.5*float64(d)*math.Log(2*math.Pi)
}

// Sample draws n codes, each from a component chosen by weight and then
// z = mean + T·L·ε, from a generator seeded by seed.
func (g *GMM) Sample(n int, seed int64, temperature float64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x676d6d73))
	out := make([]float32, n*g.D)
	eps := make([]float64, g.D)
	for i := range n {
		c := pick(g.Weights, rng.Float64())
		for j := range eps {
			eps[j] = rng.NormFloat64() * temperature
		}
		l := g.Chols[c]
		for r := range g.D {
			s := g.Means[c][r]
			for j, v := range l[r*g.D : r*g.D+r+1] {
				s += v * eps[j]
			}
			out[i*g.D+r] = float32(s)
		}
	}
	return out
}

// pick returns the index whose cumulative weight first exceeds u.
func pick(weights []float64, u float64) int {
	for c, w := range weights {
		if u < w {
			return c
		}
		u -= w
	}
	return len(weights) - 1
}

// kmeansPP returns k centres chosen by k-means++ seeding.
func kmeansPP(x []float64, d, k int, rng *rand.Rand) [][]float64 {
	n := len(x) / d
	dist := make([]float64, n)
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	centres := make([][]float64, 0, k)
	next := rng.IntN(n)
	for len(centres) < k {
		c := append([]float64(nil), x[next*d:(next+1)*d]...)
		centres = append(centres, c)
		total := 0.0
		for i := range n {
			s := 0.0
			for j := range d {
				v := x[i*d+j] - c[j]
				s += v * v
			}
			dist[i] = min(dist[i], s)
			total += dist[i]
		}
		u := rng.Float64() * total
		next = n - 1
		for i, v := range dist {
			if u < v {
				next = i
				break
			}
			u -= v
		}
	}
	return centres
}

// kmeansIters bounds Lloyd's iterations of the k-means that starts EM.
const kmeansIters = 100

// kmeans refines centres in place by Lloyd's iterations until no row
// changes cluster (or kmeansIters) and returns each row's cluster.
func kmeans(x []float64, d int, centres [][]float64) []int {
	n, k := len(x)/d, len(centres)
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	for range kmeansIters {
		var changed atomic.Bool
		parallel.Ranges(n, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				if c := nearest(x[i*d:(i+1)*d], centres); c != assign[i] {
					assign[i] = c
					changed.Store(true)
				}
			}
		})
		if !changed.Load() {
			break
		}
		counts := make([]float64, k)
		for c := range centres {
			clear(centres[c])
		}
		for i, c := range assign {
			counts[c]++
			for j := range d {
				centres[c][j] += x[i*d+j]
			}
		}
		for c, m := range counts {
			for j := range d {
				centres[c][j] /= max(m, 1)
			}
		}
	}
	return assign
}

// nearest is the index of the centre nearest to row.
func nearest(row []float64, centres [][]float64) int {
	best, bestD := 0, math.Inf(1)
	for c, m := range centres {
		s := 0.0
		for j, v := range row {
			s += (v - m[j]) * (v - m[j])
		}
		if s < bestD {
			best, bestD = c, s
		}
	}
	return best
}

// covariance is Σ_i w_i (x_i − mean)(x_i − mean)ᵀ / Σ_i w_i (w nil: all 1),
// plus gmmReg on the diagonal.
func covariance(x []float64, d int, w, mean []float64) *mat.SymDense {
	n := len(x) / d
	acc := make([]float64, d*d) // the lower triangle, row-major
	diff := make([]float64, d)
	total := 0.0
	for i := range n {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		if wi == 0 {
			continue
		}
		for j := range d {
			diff[j] = x[i*d+j] - mean[j]
		}
		for r := range d {
			v := wi * diff[r]
			row := acc[r*d : r*d+r+1]
			for c := range row {
				row[c] += v * diff[c]
			}
		}
		total += wi
	}
	cov := mat.NewSymDense(d, nil)
	scale := 1 / max(total, 1e-12)
	for r := range d {
		for c := 0; c <= r; c++ {
			cov.SetSym(r, c, acc[r*d+c]*scale)
		}
		cov.SetSym(r, r, cov.At(r, r)+gmmReg)
	}
	return cov
}

// cholesky returns the lower Cholesky factor of cov, D×D row-major.
func cholesky(cov *mat.SymDense, d int) ([]float64, error) {
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, errors.New("covariance is not positive definite")
	}
	var l mat.TriDense
	ch.LTo(&l)
	out := make([]float64, d*d)
	for r := range d {
		for c := 0; c <= r; c++ {
			out[r*d+c] = l.At(r, c)
		}
	}
	return out, nil
}

// logSumExp is log Σ exp(v).
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

// KindGMM is the Gaussian mixture prior, fitted by EM: one mixture, or one
// per class of a conditional run.
const KindGMM = "gmm"

func init() {
	register(Kind{Name: KindGMM, Rank: 20, Draws: 1, Help: "a Gaussian mixture, EM: under a minute",
		Flags: func(fs *flag.FlagSet) Recipe {
			return gmmRecipe{components: fs.Int("components", 10,
				"gmm: Gaussians in the mixture (per class for a conditional run), at most codes/(d+1)")}
		},
		Open: func(s *Saved, _ backends.Backend, _ OpenOptions) (Sampler, error) {
			m, err := s.Mixtures()
			if err != nil {
				return nil, err
			}
			return SamplerFunc(m.Sample), nil
		},
		Mixtures: (*Saved).Mixtures,
		Describe: func(c Config) string {
			if c.Classes > 0 {
				return fmt.Sprintf("gmm (%d components per class)", c.Components)
			}
			return fmt.Sprintf("gmm (%d components)", c.Components)
		},
	})
}

// gmmRecipe is a gmm fit: --components.
type gmmRecipe struct{ components *int }

// Check refuses fewer than one component.
func (r gmmRecipe) Check() error {
	if *r.components < 1 {
		return fmt.Errorf("--components %d: want ≥ 1", *r.components)
	}
	return nil
}

// Resume is false: EM starts afresh.
func (r gmmRecipe) Resume() bool { return false }

// Ready refuses more components than the largest class's codes hold.
func (r gmmRecipe) Ready(_ *Workspace, cfg Config, counts []int) error {
	if err := CheckComponents(*r.components, cfg.Latent, counts); err != nil {
		return fmt.Errorf("--components %d: %w; nothing was replaced: lower --components or raise --draws", *r.components, err)
	}
	return nil
}

// Fit fits and saves the mixtures and reports their held-out
// log-likelihood beside N(0, I)'s.
func (r gmmRecipe) Fit(j Job) (string, error) {
	cfg := j.Config
	cfg.Components = *r.components
	m, ll, err := FitMixtures(cfg, j.Training, j.HeldOut)
	if err != nil {
		return "", fmt.Errorf("fitting the gmm prior: %w", err)
	}
	if stopped(j.Stop) {
		return "", &InterruptedError{}
	}
	if err := m.Save(j.Workspace.Dir); err != nil {
		return "", err
	}
	d, fewer := cfg.Latent, ""
	for c, g := range m.PerClass {
		if g.K() < cfg.Components {
			fewer += fmt.Sprintf(", class %d: %d", c, g.K())
		}
	}
	if fewer != "" {
		fewer = " (fewer in small classes" + fewer + ")"
	}
	return fmt.Sprintf("fitted a gmm prior (%d components%s) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s\n",
		cfg.Components, fewer, len(j.Training.Z)/d, cfg.DrawTemperature, time.Since(j.Start).Seconds(), j.Workspace.Final) +
		fmt.Sprintf("held-out log-likelihood of the test codes: %.2f nats per code (N(0, I): %.2f)\n",
			ll, NormalLogLikelihood(j.HeldOut.Z, d)), nil
}
