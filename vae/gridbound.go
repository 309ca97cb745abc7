package vae

import (
	"math"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
)

// PriorBound is a discrete run's bound with a fitted prior over its code
// grids in place of the uniform one: the posterior is one code per cell,
// so its KL against any prior is −log p_prior(codes), and the negative
// ELBO is the reconstruction plus that.
type PriorBound struct {
	Prior      string  `json:"prior"`        // the fitted prior (--prior auto's pick)
	CodesNLL   float64 `json:"codes_nll"`    // mean −log p_prior(codes), nats per image
	NegELBO    float64 `json:"neg_elbo"`     // reconstruction + CodesNLL, nats per image
	BitsPerDim float64 `json:"bits_per_dim"` // NegELBO in bits per dimension
}

// priorBound is the bound of a discrete run's test images (binarized as
// evaluated), whose evaluation r holds their codes (eval.Result.Codes,
// not encoded again) and reconstruction term, under the best fitted prior
// that gives exact log-probabilities; nil for a continuous run, or when
// no such prior is fitted (the uniform prior's bound is the evaluation's
// own).
func (s *Session) priorBound(r *eval.Result, labels []int) (*PriorBound, error) {
	if models.Codebook(s.Model.Kind()) == 0 {
		return nil, nil
	}
	kind, err := s.resolvePrior(prior.Auto)
	if err != nil || kind == prior.Normal {
		return nil, err
	}
	logp, name, err := s.PriorLogProb(kind, r.Codes, labels)
	if err != nil {
		return nil, err
	}
	var sum float64
	for _, l := range logp {
		sum -= l
	}
	b := &PriorBound{Prior: name, CodesNLL: sum / float64(len(logp))}
	b.NegELBO = r.Recon + b.CodesNLL
	b.BitsPerDim = b.NegELBO / (float64(s.Model.Height*s.Model.Width*s.Model.Channels) * math.Ln2)
	return b, nil
}
