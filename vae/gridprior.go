package vae

import (
	"fmt"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
)

// PriorLogProb is the exact log-probability, in nats, of each of a
// discrete run's code grids (n·cells float32 indices, as Codes gives
// them; labels one per grid for a conditional run, else nil) under the
// prior that name (a --prior value) names: the uniform prior's
// −cells·log K for uniform or normal, else a fitted prior that gives exact
// log-probabilities (the one fitted to this run's checkpoint; auto picks
// as OpenSampler does). It returns the prior's name: −log p_prior(codes)
// is the prior's share of a VQ run's bound. A continuous run, or a prior
// without exact log-probabilities, is an error of one line.
func (s *Session) PriorLogProb(name string, codes []float32, labels []int) ([]float64, string, error) {
	l := s.Model.Kind()
	k := models.Codebook(l)
	if k == 0 {
		return nil, "", fmt.Errorf("the log-probability of a code under a prior needs a discrete latent, and the run's latent is %s", l.Describe())
	}
	cells := l.Code().Size()
	if len(codes)%cells != 0 {
		return nil, "", fmt.Errorf("%d code values: not whole grids of %d cells", len(codes), cells)
	}
	kind, err := s.resolvePrior(name)
	if err != nil {
		return nil, "", err
	}
	if kind == prior.Normal {
		out := make([]float64, len(codes)/cells)
		for i := range out {
			out[i] = prior.UniformLogProb(cells, k)
		}
		return out, prior.Uniform, nil
	}
	saved, err := prior.Read(s.Run.Dir, kind)
	if err != nil {
		return nil, "", fmt.Errorf("--prior %s: %w", kind, err)
	}
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		return nil, "", fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	warning, err := origin.Check(saved.Config, saved.Ckpt.Path)
	if err != nil {
		return nil, "", fmt.Errorf("--prior %s: %w", kind, err)
	}
	if warning != "" {
		fmt.Fprintln(s.Log, warning)
	}
	if !s.Model.Conditional() {
		labels = nil
	}
	logp, err := saved.LogProb(s.Backend, codes, labels)
	if err != nil {
		return nil, "", fmt.Errorf("--prior %s: %w", kind, err)
	}
	return logp, kind, nil
}
