// Package prior fits priors to a trained run's codes after training
// ("ex-post density estimation", Ghosh et al. 2020) and draws codes from
// them. Each kind is one file that registers its Kind (kind.go): one
// full-covariance Gaussian (gaussian.go), a Gaussian mixture fitted by EM
// (gmm.go) and a denoising diffusion model over the code (diffusion.go),
// trained as latent trains a VAE (fit.go). Commands take the kinds from the
// registry and draw through the Sampler interface; none names a kind.
//
// A trained VAE's codes do not fill N(0, I): the aggregate posterior has
// holes, and codes drawn in them decode to shapes that are no image of the
// data. A prior fitted to posterior draws of the training split puts its
// mass where the decoder was trained. A ladder's prior is over its whitened
// code (the one the decoder takes); a conditional run's prior is
// conditional on the label: a mixture per class, a label embedding in the
// denoiser.
//
// Each fitted prior lives in its run folder, under priors/KIND/, as one
// checkpoint file of latent's format (atomic, SHA-256 checked) holding its
// Config and its parameters, with the run checkpoint it was fitted to
// (Origin). A fit runs in priors/.KIND.partial under the lock
// priors/.KIND.lock and replaces priors/KIND whole when it ends (workspace.go).
package prior

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/models"
)

// Names of the priors a command can draw codes from beside the fitted
// kinds (Registered).
const (
	Normal = "normal" // N(0, I), the VAE's own prior
	// Uniform is a discrete latent's own prior, every index of its
	// codebook alike in every cell: the name it goes by (Baseline), which
	// Resolve takes as Normal, the latent kind's default prior.
	Uniform = "uniform"
	// Auto picks the best fitted prior of a run (Best: the lowest FID
	// stored at fit, unscored ones by Rank), else normal.
	Auto = "auto"
)

// Kinds are the priors that are fitted, best first.
func Kinds() []string {
	out := KindNames()
	slices.Reverse(out)
	return out
}

// Available are the priors a command can draw from for runDir: N(0, I),
// then each fitted prior, the best last.
func Available(runDir string) []string {
	out := []string{Normal}
	for _, k := range KindNames() {
		if Fitted(runDir, k) {
			out = append(out, k)
		}
	}
	return out
}

// Names are the values of a --prior flag: auto, normal, uniform, then the
// kinds.
func Names() []string { return append([]string{Auto, Normal, Uniform}, KindNames()...) }

// Baseline is the name of the default prior of a latent of kind l, the one
// its model was trained against, as users see it: normal (N(0, I)) for a
// continuous latent, uniform for a grid of indices. Either name resolves
// to it (Resolve gives Normal).
func Baseline(l models.LatentKind) string {
	if models.Continuous(l) {
		return Normal
	}
	return Uniform
}

// BaselineWords says what Baseline(l) is: "N(0, I)", "every one of 512
// codes alike".
func BaselineWords(l models.LatentKind) string {
	if models.Continuous(l) {
		return "N(0, I)"
	}
	return fmt.Sprintf("every one of %d codes alike", models.Codebook(l))
}

// Config is a fitted prior's configuration, saved in its checkpoint.
type Config struct {
	Kind    string `json:"kind"`
	Latent  int    `json:"latent"`            // dimensions of the code
	Classes int    `json:"classes,omitempty"` // > 0: conditional on the label
	// Codes is the codebook size K of a discrete code (a grid of Latent
	// indices in 0 … K−1); 0 for a continuous one.
	Codes int `json:"codes,omitempty"`
	// Model is the run's model kind (models.Config.Model; "" is conv).
	Model string `json:"model,omitempty"`
	// RunStep is the step of the run's checkpoint whose encoder drew the
	// codes; a run trained further has moved away from its prior.
	RunStep int64 `json:"run_step"`
	// RunCheckpoint is that checkpoint file's SHA-256 (hex) and RunRecipe
	// the run's (see Origin): a prior of another run is refused. Priors
	// saved before they were recorded lack both.
	RunCheckpoint string `json:"run_checkpoint,omitempty"`
	RunRecipe     string `json:"run_recipe,omitempty"`
	Draws         int    `json:"draws"` // posterior draws per training image
	// DrawTemperature t made the draws μ + tσε (1: the posterior; 0: its
	// means). Files written before it was recorded lack it; theirs was 1.
	DrawTemperature float64 `json:"draw_temperature"`
	Seed            int64   `json:"seed"`
	// Mean and Std standardise the codes the diffusion model sees.
	Mean []float64 `json:"mean,omitempty"`
	Std  []float64 `json:"std,omitempty"`
	// Basis, when set (DiffusionConfig.Whiten), whitens them in place of
	// Std: a Latent×Latent matrix A, row-major, with z = Mean + A·x for the
	// whitened code x (A = VΛ^½ from the codes' covariance VΛVᵀ).
	Basis []float64 `json:"basis,omitempty"`
	// Components is the number of Gaussians of a mixture (per class).
	Components int              `json:"components,omitempty"`
	Diffusion  *DiffusionConfig `json:"diffusion,omitempty"`
	// Transformer is the transformer prior's network and recipe.
	Transformer *TransformerRecipe `json:"transformer,omitempty"`
}

// Dir is the folder of a run's prior of kind.
func Dir(runDir, kind string) string { return filepath.Join(runDir, "priors", kind) }

// ErrNotFitted is wrapped by the error of a prior a run does not have.
var ErrNotFitted = errors.New("prior not fitted")

// Fitted reports whether runDir holds a prior of kind (a folder with at
// least one checkpoint file, whole or not).
func Fitted(runDir, kind string) bool {
	entries, err := os.ReadDir(Dir(runDir, kind))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".latent" {
			return true
		}
	}
	return false
}

// Resolve maps a --prior value to the prior to use for runDir: Auto
// becomes the best fitted one (Best, whatever checkpoint it was fitted
// to), or Normal; Uniform is Normal (the latent kind's default prior); a kind the run lacks is an error
// wrapping ErrNotFitted that names the command which fits it.
func Resolve(runDir, name string) (string, error) {
	switch name {
	case Auto:
		c, err := Best(runDir, nil)
		if err != nil {
			return "", fmt.Errorf("--prior auto: %w", err)
		}
		return c.Kind, nil
	case Normal, Uniform:
		return Normal, nil
	}
	if _, ok := Lookup(name); ok {
		if !Fitted(runDir, name) {
			return "", fmt.Errorf("%w: run %s has no %s prior; fit one with `latent prior fit --run %s --kind %s`",
				ErrNotFitted, runDir, name, runDir, name)
		}
		return name, nil
	}
	return "", fmt.Errorf("unknown prior %q: want one of %v", name, Names())
}

// standardise maps codes to (z − mean)/std, or with a Basis to
// A⁻¹(z − mean), and returns them as float32.
func (c Config) standardise(z []float64) []float32 {
	out := make([]float32, len(z))
	if c.Basis != nil {
		// A = VΛ^½ with V orthonormal, so A⁻¹ = Λ⁻¹Aᵀ, Λ_k the squared
		// norm of A's column k (at least Whitening's floor).
		d := c.Latent
		cols, norms := make([][]float64, d), make([]float64, d)
		for k := range d {
			cols[k] = make([]float64, d)
			for i := range d {
				cols[k][i] = c.Basis[i*d+k]
			}
			norms[k] = floats.Dot(cols[k], cols[k])
		}
		x := make([]float64, d)
		for r := range len(z) / d {
			for j := range d {
				x[j] = z[r*d+j] - c.Mean[j]
			}
			for k := range d {
				out[r*d+k] = float32(floats.Dot(cols[k], x) / norms[k])
			}
		}
		return out
	}
	for i, v := range z {
		j := i % c.Latent
		out[i] = float32((v - c.Mean[j]) / c.Std[j])
	}
	return out
}

// unstandardise maps standardised codes back, in place: z·std + mean, or
// with a Basis A·z + mean.
func (c Config) unstandardise(z []float32) []float32 {
	if c.Basis != nil {
		d := c.Latent
		x := make([]float64, d)
		for r := range len(z) / d {
			for j := range d {
				x[j] = float64(z[r*d+j])
			}
			for i := range d {
				z[r*d+i] = float32(floats.Dot(c.Basis[i*d:(i+1)*d], x) + c.Mean[i])
			}
		}
		return z
	}
	for i, v := range z {
		j := i % c.Latent
		z[i] = float32(float64(v)*c.Std[j] + c.Mean[j])
	}
	return z
}

// Whitening sets c.Basis to VΛ^½ from the covariance VΛVᵀ of codes (n*Latent
// values) about c.Mean (Moments first), each variance floored at 10⁻⁶ of the
// largest (and 10⁻¹²), so that codes confined to fewer dimensions than
// Latent (fewer codes, or a constant one) still whiten.
func (c *Config) Whitening(codes []float64) error {
	d := c.Latent
	n := len(codes) / d
	if n < 2 {
		return fmt.Errorf("whitening %d codes: want at least 2", n)
	}
	cov := mat.NewSymDense(d, nil)
	x := make([]float64, d)
	for r := range n {
		for j := range d {
			x[j] = codes[r*d+j] - c.Mean[j]
		}
		cov.SymRankOne(cov, 1/float64(n), mat.NewVecDense(d, x))
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return fmt.Errorf("whitening: the eigendecomposition of the codes' covariance failed")
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	vals := eig.Values(nil) // ascending
	floor := math.Max(1e-6*vals[d-1], 1e-12)
	c.Basis = make([]float64, d*d)
	for i := range d {
		for k := range d {
			c.Basis[i*d+k] = v.At(i, k) * math.Sqrt(math.Max(vals[k], floor))
		}
	}
	return nil
}

// Moments sets c.Mean and c.Std to the per-dimension mean and standard
// deviation of codes (n*Latent values).
func (c *Config) Moments(codes []float64) {
	d := c.Latent
	n := float64(len(codes) / d)
	c.Mean, c.Std = make([]float64, d), make([]float64, d)
	for i, v := range codes {
		c.Mean[i%d] += v / n
	}
	for i, v := range codes {
		x := v - c.Mean[i%d]
		c.Std[i%d] += x * x / n
	}
	for j := range c.Std {
		c.Std[j] = math.Max(math.Sqrt(c.Std[j]), 1e-6)
	}
}

// normalNoise is n values drawn from N(0, T²) with a generator seeded by seed.
func normalNoise(n int, seed int64, temperature float64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7072696f72)) // "prior"
	z := make([]float32, n)
	for i := range z {
		z[i] = float32(rng.NormFloat64() * temperature)
	}
	return z
}

// Describe names the prior of c with its size, as its kind does:
// "gmm (100 components)", "diffusion (width 128, 3 blocks, 32000 steps, whitened, v-prediction)".
func (c Config) Describe() string {
	if k, ok := Lookup(c.Kind); ok && k.Describe != nil {
		return k.Describe(c)
	}
	return c.Kind
}
