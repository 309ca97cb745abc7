package prior

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// KindGaussian is one full-covariance Gaussian fitted to the codes (one per
// class of a conditional run): their mean and covariance, no iterations.
// It is what a 1-component mixture fits (make calibrate's "one Gaussian"
// row), in one pass: the cheapest fitted prior, and the yardstick of the
// others.
const KindGaussian = "gaussian"

func init() {
	register(Kind{Name: KindGaussian, Rank: 10, Draws: 1, Help: "one full-covariance Gaussian: seconds",
		Flags: func(*flag.FlagSet) Recipe { return gaussianRecipe{} },
		Open: func(s *Saved, _ backends.Backend, _ OpenOptions) (Sampler, error) {
			m, err := s.gaussians()
			if err != nil {
				return nil, err
			}
			return SamplerFunc(m.Sample), nil
		},
		Mixtures: (*Saved).gaussians,
		Describe: func(c Config) string {
			if c.Classes > 0 {
				return "gaussian (full covariance, one per class)"
			}
			return "gaussian (full covariance)"
		},
	})
}

// gaussianRecipe is a Gaussian fit: it takes no flags of its own.
type gaussianRecipe struct{}

// Check accepts the (no) flags.
func (gaussianRecipe) Check() error { return nil }

// Resume is false: a fit is one pass.
func (gaussianRecipe) Resume() bool { return false }

// Ready refuses a class with too few codes for a covariance of full rank.
func (gaussianRecipe) Ready(_ *Workspace, cfg Config, counts []int) error {
	for c, n := range counts {
		if n < cfg.Latent+1 {
			of := "there are"
			if len(counts) > 1 {
				of = fmt.Sprintf("class %d has", c)
			}
			return fmt.Errorf("a full-covariance Gaussian in %d dimensions needs at least %d codes (d+1), %s %d: raise --draws",
				cfg.Latent, cfg.Latent+1, of, n)
		}
	}
	return nil
}

// Fit fits and saves the Gaussians and reports their held-out
// log-likelihood beside N(0, I)'s.
func (r gaussianRecipe) Fit(j Job) (string, error) {
	cfg := j.Config
	cfg.Kind = KindGaussian
	m, err := FitGaussians(cfg, j.Training)
	if err != nil {
		return "", fmt.Errorf("fitting the gaussian prior: %w", err)
	}
	if err := saveGaussians(j.Workspace.Dir, m); err != nil {
		return "", err
	}
	d := cfg.Latent
	return fmt.Sprintf("fitted a gaussian prior (full covariance%s) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s\n",
		map[bool]string{true: ", one per class"}[cfg.Classes > 0], len(j.Training.Z)/d, cfg.DrawTemperature,
		time.Since(j.Start).Seconds(), j.Workspace.Final) +
		fmt.Sprintf("held-out log-likelihood of the test codes: %.2f nats per code (N(0, I): %.2f)\n",
			m.logLikelihood(j.HeldOut), NormalLogLikelihood(j.HeldOut.Z, d)), nil
}

// FitGaussians fits one Gaussian to the training codes, or one per class
// of a conditional cfg: the codes' mean and covariance (the maximum
// likelihood one, plus the mixture's regularisation on the diagonal). They
// come back as 1-component Mixtures, which sample and score them.
func FitGaussians(cfg Config, training Codes) (*Mixtures, error) {
	d := cfg.Latent
	m := &Mixtures{Config: cfg}
	for c, z := range training.byClass(d, cfg.Classes) {
		g, err := fitGaussian(z, d)
		if err != nil && cfg.Classes > 0 {
			return nil, fmt.Errorf("class %d: %w", c, err)
		} else if err != nil {
			return nil, err
		}
		m.PerClass = append(m.PerClass, g)
	}
	return m, nil
}

// fitGaussian fits one Gaussian to x (rows of d values).
func fitGaussian(x []float64, d int) (*GMM, error) {
	n := len(x) / d
	if n < d+1 {
		return nil, fmt.Errorf("%d codes are too few for a full covariance in %d dimensions (want at least %d)", n, d, d+1)
	}
	mean := make([]float64, d)
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("the codes hold NaN or infinite values")
		}
		mean[i%d] += v
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	chol, err := cholesky(covariance(x, d, nil, mean), d)
	if err != nil {
		return nil, err
	}
	return &GMM{D: d, Weights: []float64{1}, Means: [][]float64{mean}, Chols: [][]float64{chol}}, nil
}

// saveGaussians writes the Gaussians as the checkpoint of dir: their means
// [classes, d] and Cholesky factors [classes, d, d].
func saveGaussians(dir string, m *Mixtures) error {
	c, d := len(m.PerClass), m.Config.Latent
	means, chols := make([]float64, 0, c*d), make([]float64, 0, c*d*d)
	for _, g := range m.PerClass {
		means, chols = append(means, g.Means[0]...), append(chols, g.Chols[0]...)
	}
	ctx := context.New().In(KindGaussian)
	ctx.VariableWithValue("means", tensors.FromFlatDataAndDimensions(means, c, d)).SetTrainable(false)
	ctx.VariableWithValue("chols", tensors.FromFlatDataAndDimensions(chols, c, d, d)).SetTrainable(false)
	return save(dir, 0, m.Config, ctx, 1)
}

// gaussians returns the saved gaussian prior.
func (s *Saved) gaussians() (*Mixtures, error) {
	vars, err := s.float64Vars()
	if err != nil {
		return nil, err
	}
	c, d := max(s.Config.Classes, 1), s.Config.Latent
	mu, ch := vars["means"], vars["chols"]
	if len(mu) != c*d || len(ch) != c*d*d {
		return nil, fmt.Errorf("%s: the Gaussians' arrays do not match their config (%d classes, %d dimensions)", s.Ckpt.Path, c, d)
	}
	m := &Mixtures{Config: s.Config}
	for i := range c {
		m.PerClass = append(m.PerClass, &GMM{D: d, Weights: []float64{1},
			Means: [][]float64{mu[i*d : (i+1)*d]}, Chols: [][]float64{ch[i*d*d : (i+1)*d*d]}})
	}
	return m, nil
}
