package vae

import (
	"fmt"
	"math"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
)

// Evaluation returns what the run's eval.Result r measured on the test
// images of the data set named set (binarized with seed when binarized is
// set): the run, its model, the protocol and the published numbers of it.
func (s *Session) Evaluation(r *eval.Result, set string, binarized bool, seed int64) Evaluation {
	m := s.Run.Config.Model
	out := Evaluation{Result: *r, Binarized: binarized, Step: s.Run.Step, Run: s.Run.Dir, Data: set, Seed: seed,
		Model: m.Network(), Layers: m.Layers(), Averaged: s.Run.Averaged, PixelHead: pixelHead(m), Classes: m.Classes}
	out.Protocol = protocol(binarized, s.Run.Config.Data.Binarize)
	out.BitsPerDim = bitsPerDim(r, s.Model.Height*s.Model.Width*s.Model.Channels)
	out.References = references(set, binarized, out.Classes)
	return out
}

// Evaluation is what `latent eval` reports: the likelihoods of the test
// images and what they were measured on.
type Evaluation struct {
	eval.Result
	Binarized bool   `json:"binarized"`         // the test images were dynamically binarized
	Step      int64  `json:"step"`              // the checkpoint's training step
	Run       string `json:"run"`               // the run folder
	Data      string `json:"data"`              // the data set's name
	Seed      int64  `json:"seed"`              // seed of the draws (and of the binarization)
	Model     string `json:"model"`             // the network family
	Layers    int    `json:"stochastic_layers"` // stochastic layers of the model
	// PixelHead describes the model's pixel head ("" without one).
	PixelHead string `json:"pixel_head,omitempty"`
	Averaged  bool   `json:"ema_weights"` // the run's moving-average weights were evaluated
	Protocol  string `json:"protocol"`    // the likelihood protocol of the numbers
	// Classes is the number of classes a conditional model is conditioned
	// on (0: unconditional); its numbers are then of −log p(x|y), y each
	// test image's label.
	Classes int `json:"conditional_classes"`
	// BitsPerDim holds the likelihoods in bits per dimension.
	BitsPerDim BitsDim `json:"bits_per_dim"`
	// References are the published numbers of the protocol run, and the
	// command that measures ours as docs/numbers.md's table does.
	References *References `json:"references,omitempty"`
	// PriorBound is a discrete run's bound with its best fitted prior over
	// code grids (nil: a continuous run, or none fitted).
	PriorBound *PriorBound `json:"prior_bound,omitempty"`
}

// protocol names the test images' likelihood protocol of the numbers, and
// warns when it differs from the training images'.
func protocol(binarized, trainedBinarized bool) string {
	p := "grey: test pixels in [0, 1] scored as they are (not comparable with binarized-MNIST papers)"
	if binarized {
		p = "binarized: dynamically binarized test images, as the IWAE paper and its successors report"
	}
	if binarized != trainedBinarized {
		p += "; note: the run was trained on " + map[bool]string{true: "binarized", false: "grey"}[trainedBinarized] + " images"
	}
	return p
}

// pixelHead describes cfg's pixel head, "" without one.
func pixelHead(cfg models.Config) string {
	if !cfg.Autoregressive() {
		return ""
	}
	return fmt.Sprintf("pixel head %d wide, %dx%d window", cfg.PixelWidth, cfg.PixelKernel, cfg.PixelKernel)
}

// BitsDim holds likelihoods in bits per dimension: nats / (H·W·C · ln 2).
type BitsDim struct {
	NegELBO float64  `json:"neg_elbo"`         // the negative ELBO
	IWNLL   *float64 `json:"iw_nll,omitempty"` // the IW bound, when measured
}

// bitsPerDim converts r's likelihoods, in nats per image of dims values,
// to bits per dimension.
func bitsPerDim(r *eval.Result, dims int) BitsDim {
	per := 1 / (float64(dims) * math.Ln2)
	b := BitsDim{NegELBO: r.NegELBO * per}
	if r.IWNLL != nil {
		v := *r.IWNLL * per
		b.IWNLL = &v
	}
	return b
}

// References are the published numbers of an evaluation's protocol and the
// command that measures ours.
type References struct {
	Published string `json:"published"` // the literature's numbers
	Ours      string `json:"ours"`      // the command that measures latent's
}

// references returns the published numbers for the data set and protocol
// that eval ran (nil when it knows none: conditional runs, other sets).
func references(set string, binarized bool, classes int) *References {
	if set != data.MNIST || classes > 0 {
		return nil
	}
	if binarized {
		return &References{
			Published: "binarized MNIST, IW-NLL: IWAE paper VAE 86.76, IWAE 82.90 (Burda et al. 2016, K=5000); " +
				"Ladder VAE 79.24 (Sønderby et al. 2016, K=1000); NVAE 78.01 (Vahdat and Kautz 2020)",
			Ours: "docs/numbers.md's table (conv 85.15, ladder 84.11, conv + pixel head 80.58): latent eval --run RUN --iw 1000 --binarize",
		}
	}
	return &References{
		Published: "grey MNIST, negative ELBO: pytorch/examples' VAE 105.6, Flax's about 104 (10 epochs); " +
			"binarized-MNIST papers are not comparable: add --binarize for their protocol",
		Ours: "docs/numbers.md's grey row (IW-NLL 94.28, K=1000): latent eval --run RUN --iw 1000",
	}
}
