package prior

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/rundir"
)

// Mixtures is a fitted gmm prior: one mixture, or one per class of a
// conditional run.
type Mixtures struct {
	Config   Config
	PerClass []*GMM
}

// Sample draws n codes; a conditional prior draws code i from the mixture
// of class labels[i].
func (m *Mixtures) Sample(n int, seed int64, temperature float64, labels []int) ([]float32, error) {
	if len(m.PerClass) == 1 {
		return m.PerClass[0].Sample(n, seed, temperature), nil
	}
	if len(labels) != n {
		return nil, fmt.Errorf("a conditional prior needs one label per code: %d labels for %d codes", len(labels), n)
	}
	d := m.Config.Latent
	out := make([]float32, n*d)
	for c, g := range m.PerClass { // every class from its own stream, so a code does not depend on the other labels
		all := g.Sample(n, seed+int64(c)*7919, temperature)
		for i, y := range labels {
			if y == c {
				copy(out[i*d:(i+1)*d], all[i*d:(i+1)*d])
			}
		}
	}
	return out, nil
}

// Save writes the mixtures as the checkpoint of dir (replacing an earlier fit).
func (m *Mixtures) Save(dir string) error {
	c, k, d := len(m.PerClass), m.Config.Components, m.Config.Latent
	weights, means, chols := make([]float64, 0, c*k), make([]float64, 0, c*k*d), make([]float64, 0, c*k*d*d)
	for _, g := range m.PerClass {
		for i := range k { // a class fitted with fewer components is padded with unused ones
			w, mean, chol := 0.0, make([]float64, d), identity(d)
			if i < g.K() {
				w, mean, chol = g.Weights[i], g.Means[i], g.Chols[i]
			}
			weights, means, chols = append(weights, w), append(means, mean...), append(chols, chol...)
		}
	}
	ctx := context.New().In("gmm")
	ctx.VariableWithValue("weights", tensors.FromFlatDataAndDimensions(weights, c, k)).SetTrainable(false)
	ctx.VariableWithValue("means", tensors.FromFlatDataAndDimensions(means, c, k, d)).SetTrainable(false)
	ctx.VariableWithValue("chols", tensors.FromFlatDataAndDimensions(chols, c, k, d, d)).SetTrainable(false)
	return save(dir, 0, m.Config, ctx, 1)
}

// identity is the d×d identity, row-major.
func identity(d int) []float64 {
	l := make([]float64, d*d)
	for i := range d {
		l[i*d+i] = 1
	}
	return l
}

// save writes ctx with cfg as a checkpoint of step in dir (created 0o755),
// keeping the newest keep.
func save(dir string, step int64, cfg Config, ctx *context.Context, keep int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if _, err := checkpoints.Save(dir, step, cfg, ctx, keep); err != nil {
		return fmt.Errorf("saving the prior in %s: %w", dir, err)
	}
	return nil
}

// Saved is a fitted prior read back from its folder.
type Saved struct {
	Config Config
	Ckpt   *checkpoints.Checkpoint
}

// Read loads the newest whole checkpoint of runDir's prior of kind and its
// config; a damaged or missing file is an error naming it.
func Read(runDir, kind string) (*Saved, error) { return readDir(Dir(runDir, kind), kind) }

// Read loads the prior the fit saved in the workspace, before it is
// committed (to score it).
func (w *Workspace) Read() (*Saved, error) { return readDir(w.Dir, w.Kind) }

// readDir loads the newest whole checkpoint of the prior of kind in dir.
func readDir(dir, kind string) (*Saved, error) {
	ck, _, err := checkpoints.Latest(dir)
	if errors.Is(err, checkpoints.ErrNone) {
		return nil, fmt.Errorf("%w: %s holds no prior", ErrNotFitted, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the %s prior: %w", kind, err)
	}
	cfg, err := savedConfig(ck, kind)
	if err != nil {
		return nil, err
	}
	return &Saved{Config: cfg, Ckpt: ck}, nil
}

// savedConfig returns the config of ck, a checkpoint of a prior of kind; an
// unreadable config or one of another prior is an error naming the file.
func savedConfig(ck *checkpoints.Checkpoint, kind string) (Config, error) {
	var cfg Config
	if err := json.Unmarshal(ck.Config, &cfg); err != nil {
		return Config{}, fmt.Errorf("%s: prior config: %w", ck.Path, err)
	}
	if cfg.Kind != kind || cfg.Latent < 1 {
		return Config{}, fmt.Errorf("%s: holds a %q prior of %d dimensions, not a %s prior", ck.Path, cfg.Kind, cfg.Latent, kind)
	}
	return cfg, nil
}

// float64Vars returns the checkpoint's variables by name, as float64 (a
// mixture's or a Gaussian's parameters); a variable of another type is an
// error naming the file.
func (s *Saved) float64Vars() (map[string][]float64, error) {
	vars := map[string][]float64{}
	for _, v := range s.Ckpt.Vars {
		flat, err := tensors.CopyFlatData[float64](v.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: variable %s: %w", s.Ckpt.Path, v.Name, err)
		}
		vars[v.Name] = flat
	}
	return vars, nil
}

// Mixtures returns the saved gmm prior.
func (s *Saved) Mixtures() (*Mixtures, error) {
	vars, err := s.float64Vars()
	if err != nil {
		return nil, err
	}
	cfg := s.Config
	c, k, d := max(cfg.Classes, 1), cfg.Components, cfg.Latent
	w, mu, ch := vars["weights"], vars["means"], vars["chols"]
	if k < 1 || len(w) != c*k || len(mu) != c*k*d || len(ch) != c*k*d*d {
		return nil, fmt.Errorf("%s: the mixture's arrays do not match its config (%d classes, %d components, %d dimensions)",
			s.Ckpt.Path, c, k, d)
	}
	m := &Mixtures{Config: cfg}
	for ci := range c {
		g := &GMM{D: d, Weights: w[ci*k : (ci+1)*k]}
		for i := range k {
			j := ci*k + i
			g.Means = append(g.Means, mu[j*d:(j+1)*d])
			g.Chols = append(g.Chols, ch[j*d*d:(j+1)*d*d])
		}
		m.PerClass = append(m.PerClass, g)
	}
	return m, nil
}

// denoiserContext restores the saved diffusion prior's denoiser as it
// samples: its averaged weights when it keeps averages. An incomplete
// config is an error naming the file.
func (s *Saved) denoiserContext() (*context.Context, error) {
	if s.Config.Diffusion == nil || len(s.Config.Mean) != s.Config.Latent || len(s.Config.Std) != s.Config.Latent {
		return nil, fmt.Errorf("%s: the diffusion prior's config is incomplete", s.Ckpt.Path)
	}
	ctx := context.New()
	if err := s.Ckpt.Restore(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Ckpt.Path, err)
	}
	if e := s.Config.Diffusion.EMA; e > 0 && s.Ckpt.Step > 0 {
		if err := rundir.UseAverages(ctx, e, s.Ckpt.Step); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Ckpt.Path, err)
		}
	}
	return ctx, nil
}

// Diffusion returns the saved diffusion prior's sampler (its averaged
// weights when it keeps them), compiled on b for batches of batch codes.
func (s *Saved) Diffusion(b backends.Backend, batch int) (*Diffusion, error) {
	ctx, err := s.denoiserContext()
	if err != nil {
		return nil, err
	}
	return NewDiffusion(b, ctx, s.Config, batch)
}
