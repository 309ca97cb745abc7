package prior

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/safetensors"
)

// Samplers of an exported prior (Export.Spec.Sampler): how a program outside
// latent draws codes from its tensors.
const (
	// SamplerMixture draws from a Gaussian mixture per class: a component
	// chosen by weight, then mean + L·(T·ε).
	SamplerMixture = "mixture"
	// SamplerDDIM runs the denoiser's deterministic DDIM steps (η = 0) from
	// T·ε at t = 1, then maps the standardised code back by Config.Mean and
	// Config.Std, or the whitened one by Config.Basis and Config.Mean.
	SamplerDDIM = "ddim"
)

// Export is a fitted prior as `latent export` writes it: its tensors, named
// relative to the prior (the caller prefixes them), and its description.
type Export struct {
	Spec    ExportSpec
	Tensors []safetensors.Tensor
}

// ExportSpec describes an exported prior's tensors, as JSON in the export's
// metadata.
type ExportSpec struct {
	Kind    string `json:"kind"`
	Sampler string `json:"sampler"` // SamplerMixture or SamplerDDIM
	// Config is the prior's own config, as saved with it (for the
	// diffusion prior: its denoiser's architecture, Mean and Std).
	Config Config `json:"config"`
	// Schedule is the diffusion prior's noise schedule and the constants of
	// its denoiser; nil for a mixture.
	Schedule *Schedule `json:"schedule,omitempty"`
	// Temperature is the one the prior's fit chose (Quality.SampleTemperature):
	// latent draws at it unless told otherwise, and so does
	// examples/python/latent_decoder.py.
	Temperature float64 `json:"temperature"`
}

// Schedule is the diffusion prior's noise schedule and the fixed parts of
// its denoiser, as diffusion.go builds them, for a sampler outside latent.
type Schedule struct {
	// Name is "cosine": ᾱ(t) = f(t)/f(0), f(t) = cos²((t+Offset)/(1+Offset)·π/2),
	// clipped to [MinAlphaBar, 1], for t in [0, 1].
	Name        string  `json:"name"`
	Offset      float64 `json:"offset"`
	MinAlphaBar float64 `json:"min_alpha_bar"`
	// Prediction is what the denoiser predicts: "epsilon", the noise in
	// z_t = √ᾱ·z₀ + √(1−ᾱ)·ε, or "v", √ᾱ·ε − √(1−ᾱ)·z₀ (DiffusionConfig.Predict).
	Prediction string `json:"prediction"`
	// ClipX0 bounds the estimate of z₀ in each DDIM step to ±ClipX0.
	ClipX0 float64 `json:"clip_x0"`
	// TimeFeatures sinusoidal features of t: sin then cos of
	// TimeScale·t·f_i, f_i = exp(−ln(MaxPeriod)·i/(TimeFeatures/2−1)),
	// computed in float32.
	TimeFeatures int     `json:"time_features"`
	TimeScale    float64 `json:"time_scale"`
	MaxPeriod    float64 `json:"max_period"`
	// LayerNormEpsilon is added to the variance of each layer norm.
	LayerNormEpsilon float64 `json:"layer_norm_epsilon"`
	Activation       string  `json:"activation"` // "swish": x·sigmoid(x)
}

// DiffusionSchedule is the schedule diffusion.go samples with.
func DiffusionSchedule() Schedule {
	return Schedule{Name: "cosine", Offset: cosineOffset, MinAlphaBar: minAlphaBar, Prediction: "epsilon",
		ClipX0: clipX0, TimeFeatures: timeFeatures, TimeScale: 1000, MaxPeriod: 1000,
		LayerNormEpsilon: 1e-3, Activation: "swish"}
}

// Export returns the saved prior's parameters for use outside latent: a
// mixture's (and a Gaussian's, as a one-component mixture) weights [C, K],
// means [C, K, D] and Cholesky factors [C, K, D, D] in float64, C being the
// classes (1 for an unconditional prior); the diffusion prior's denoiser
// weights (averaged, when it keeps averages, as it samples), named by
// variable scope ("denoiser/in/conv/weights"), with its schedule.
func (s *Saved) Export() (*Export, error) {
	q, err := ReadQuality(s)
	if err != nil {
		return nil, err
	}
	spec := ExportSpec{Kind: s.Config.Kind, Sampler: SamplerMixture, Config: s.Config, Temperature: q.SampleTemperature()}
	if m, ok, err := s.asMixtures(); ok {
		if err != nil {
			return nil, err
		}
		return &Export{Spec: spec, Tensors: m.tensors()}, nil
	}
	if !Exportable(s.Config.Kind) {
		return nil, fmt.Errorf("%s: latent cannot export a %q prior", s.Ckpt.Path, s.Config.Kind)
	}
	ts, err := s.denoiserWeights()
	if err != nil {
		return nil, err
	}
	sch := DiffusionSchedule()
	if s.Config.Diffusion != nil && s.Config.Diffusion.Predict == PredictV {
		sch.Prediction = "v"
	}
	spec.Sampler, spec.Schedule = SamplerDDIM, &sch
	return &Export{Spec: spec, Tensors: ts}, nil
}

// Exportable reports whether Export writes a prior of kind: a
// mixture-shaped kind (Kind.Mixtures) or the diffusion prior, whose
// samplers examples/python/latent_decoder.py knows. A transformer prior
// is not (yet) one.
func Exportable(kind string) bool {
	k, ok := Lookup(kind)
	return ok && (k.Mixtures != nil || kind == KindDiffusion)
}

// asMixtures returns a saved prior of a mixture-shaped kind (one whose
// Kind.Mixtures is set: gmm, or gaussian as a one-component mixture) as
// mixtures, and whether it is one.
func (s *Saved) asMixtures() (*Mixtures, bool, error) {
	k, ok := Lookup(s.Config.Kind)
	if !ok || k.Mixtures == nil {
		return nil, false, nil
	}
	m, err := k.Mixtures(s)
	return m, true, err
}

// tensors are the mixtures' weights [C, K], means [C, K, D] and Cholesky
// factors [C, K, D, D]; a class with fewer components than the most is
// padded with unused ones (weight 0, mean 0, identity), as Save pads them.
func (m *Mixtures) tensors() []safetensors.Tensor {
	c, d, k := len(m.PerClass), m.Config.Latent, 0
	for _, g := range m.PerClass {
		k = max(k, g.K())
	}
	weights, means, chols := make([]float64, 0, c*k), make([]float64, 0, c*k*d), make([]float64, 0, c*k*d*d)
	for _, g := range m.PerClass {
		for i := range k {
			w, mean, chol := 0.0, make([]float64, d), identity(d)
			if i < g.K() {
				w, mean, chol = g.Weights[i], g.Means[i], g.Chols[i]
			}
			weights, means, chols = append(weights, w), append(means, mean...), append(chols, chol...)
		}
	}
	return []safetensors.Tensor{
		{Name: "weights", Value: tensors.FromFlatDataAndDimensions(weights, c, k)},
		{Name: "means", Value: tensors.FromFlatDataAndDimensions(means, c, k, d)},
		{Name: "chols", Value: tensors.FromFlatDataAndDimensions(chols, c, k, d, d)},
	}
}

// denoiserWeights are the saved diffusion prior's denoiser weights as it
// samples with them (Saved.Diffusion): averaged when it keeps averages,
// named by scope and name without the leading slash, sorted by name.
func (s *Saved) denoiserWeights() ([]safetensors.Tensor, error) {
	ctx, err := s.denoiserContext()
	if err != nil {
		return nil, err
	}
	var out []safetensors.Tensor
	for v := range ctx.IterVariables() {
		scope := strings.TrimPrefix(v.Scope(), "/")
		if !v.Trainable || scope != "denoiser" && !strings.HasPrefix(scope, "denoiser/") {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("%s: variable %s: %w", s.Ckpt.Path, v.ScopeAndName(), err)
		}
		out = append(out, safetensors.Tensor{Name: scope + "/" + v.Name(), Value: value})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the diffusion prior holds no denoiser weights", s.Ckpt.Path)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// MixtureNoise returns the noise Sample(n, seed, temperature, labels) draws
// its codes from, whatever the temperature: for code i, the uniform u[i]
// that chose its component (the first whose cumulative weight exceeds it)
// and its standard normal ε (eps[i*D:(i+1)*D]), the code being
// mean + L·(T·ε). A program outside latent given this noise draws latent's
// codes.
func (m *Mixtures) MixtureNoise(n int, seed int64, labels []int) (u, eps []float64, err error) {
	d := m.Config.Latent
	if len(m.PerClass) > 1 && len(labels) != n {
		return nil, nil, fmt.Errorf("a conditional prior needs one label per code: %d labels for %d codes", len(labels), n)
	}
	u, eps = make([]float64, n), make([]float64, n*d)
	for c := range m.PerClass { // each class's stream, as Sample draws them
		rng := rand.New(rand.NewPCG(uint64(seed+int64(c)*7919), 0x676d6d73)) // class 0's seed is seed
		for i := range n {
			ui := rng.Float64()
			var e []float64
			for range d {
				e = append(e, rng.NormFloat64())
			}
			if len(m.PerClass) == 1 || labels[i] == c {
				u[i] = ui
				copy(eps[i*d:], e)
			}
		}
	}
	return u, eps, nil
}

// DiffusionNoise returns the standard normal noise the diffusion prior's
// Sample(n, seed, temperature, …) starts from, n×latent values: the
// starting codes are float32(T·ε).
func DiffusionNoise(n, latent int, seed int64) []float64 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7072696f72)) // as normalNoise
	z := make([]float64, n*latent)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	return z
}

// Noise is the noise a prior's sampler draws n codes from for a seed, at
// any temperature T: for a mixture, U[i] chose code i's component and
// Eps[i*D:(i+1)*D] is its standard normal ε (the code is mean + L·(T·ε));
// for the diffusion prior, Eps is the start, float32(T·ε). As JSON it is
// what examples/python/latent_decoder.py's --noise replays.
type Noise struct {
	U   []float64 `json:"u,omitempty"`
	Eps []float64 `json:"eps"`
}

// Noise returns the noise the saved prior's sampler (Open) draws n codes
// from with seed, for a conditional prior with labels: a program outside
// latent that is given it draws latent's own codes.
func (s *Saved) Noise(n int, seed int64, labels []int) (Noise, error) {
	if m, ok, err := s.asMixtures(); ok {
		if err != nil {
			return Noise{}, err
		}
		u, eps, err := m.MixtureNoise(n, seed, labels)
		return Noise{U: u, Eps: eps}, err
	}
	if s.Config.Kind != KindDiffusion {
		return Noise{}, fmt.Errorf("%s: latent cannot give the noise of a %q prior", s.Ckpt.Path, s.Config.Kind)
	}
	return Noise{Eps: DiffusionNoise(n, s.Config.Latent, seed)}, nil
}
