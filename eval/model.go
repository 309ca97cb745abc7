package eval

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/batched"
	"github.com/latent-vae/latent/models"
)

// Defaults of Model's knobs.
const (
	DefaultBatch = 1000 // decoder passes per graph call
	DefaultChunk = 100  // importance samples per graph call
)

// Model runs a trained VAE's evaluation graphs over sets of images, given as
// NHWC float32 pixels in [0,1], n images back to back. Each graph is
// compiled once for a fixed batch size; the last batch is padded and the
// padding dropped. Random draws come from RNG states seeded by the caller,
// never from the context's RNG variable, so evaluating never changes a run.
type Model struct {
	Config models.Config
	// Batch is the most decoder passes one graph call makes, which bounds
	// memory: the encoder and ELBO graphs take Batch images, the
	// importance-weighted graph Batch/Chunk images of Chunk samples each.
	Batch int
	// Chunk is the number of importance samples drawn per image and call.
	Chunk int
	// Progress, when not nil, is called as each phase ("encode", "elbo",
	// "iw") starts, with done = 0, and after every batch of images, with
	// the images done and the images in all.
	Progress func(phase string, done, total int)

	backend      backends.Backend
	ctx          *context.Context
	encode, elbo *context.Exec
	codes        map[int]*context.Exec // by draws per image, built by Codes
	sharedELBO   *context.Exec         // built by SharedELBO
	iw           map[int]*context.Exec // by samples per call
}

// NewModel prepares the evaluation graphs of the model cfg whose variables
// ctx holds (a restored run's context). b must be the same backend value
// that any other graph on ctx's variables runs on: GoMLX will not share a
// tensor between two backend values, even of one backend.
func NewModel(b backends.Backend, ctx *context.Context, cfg models.Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	ctx = ctx.Reuse()
	m := &Model{Config: cfg, Batch: DefaultBatch, Chunk: DefaultChunk, backend: b, ctx: ctx,
		iw: map[int]*context.Exec{}, codes: map[int]*context.Exec{}}
	var err error
	if m.encode, err = context.NewExec(b, ctx, encodeGraph(cfg)); err != nil {
		return nil, fmt.Errorf("building the encoder graph: %w", err)
	}
	if m.elbo, err = context.NewExec(b, ctx, elboGraph(cfg)); err != nil {
		return nil, fmt.Errorf("building the ELBO graph: %w", err)
	}
	return m, nil
}

// Finalize releases the compiled graphs.
func (m *Model) Finalize() {
	m.encode.Finalize()
	m.elbo.Finalize()
	for _, e := range m.codes {
		e.Finalize()
	}
	if m.sharedELBO != nil {
		m.sharedELBO.Finalize()
	}
	for _, e := range m.iw {
		e.Finalize()
	}
}

// ImageSize is the number of values in one image.
func (m *Model) ImageSize() int { return m.Config.Height * m.Config.Width * m.Config.Channels }

// input is a checked set of images with their labels as graph values.
type input struct {
	images []float32
	labels []int32 // nil for an unconditional model
	n      int
}

// check returns images and their labels as an input, checking that images
// holds a positive whole number of the model's images and that labels go
// with them (see models.Config.CheckLabels: every method of Model takes the
// images' class labels, which a conditional model needs and the others
// ignore).
func (m *Model) check(images []float32, labels []int) (input, error) {
	size := m.ImageSize()
	if len(images) == 0 || len(images)%size != 0 {
		return input{}, fmt.Errorf("%d pixel values are not a positive whole number of %dx%dx%d images",
			len(images), m.Config.Height, m.Config.Width, m.Config.Channels)
	}
	in := input{images: images, n: len(images) / size}
	var err error
	if in.labels, err = m.Config.LabelInput(labels, in.n); err != nil {
		return input{}, err
	}
	return in, nil
}

// Encode returns the posterior mean and log-variance of every image, each
// flat [n*Latent]; a model whose latent kind is not continuous has none,
// and is refused.
func (m *Model) Encode(images []float32, labels []int) (means, logVars []float32, err error) {
	in, err := m.check(images, labels)
	if err != nil {
		return nil, nil, err
	}
	kind := m.Config.Kind()
	if err := models.NeedContinuous(kind, "a posterior mean and variance per dimension"); err != nil {
		return nil, nil, err
	}
	n, l := in.n, kind.Code().Size()
	means, logVars = make([]float32, n*l), make([]float32, n*l)
	err = m.forBatches("encode", in, m.batchSize(n, 1), func(x, y *tensors.Tensor, start, count int) error {
		outs, err := m.encode.Exec(x, y)
		if err != nil {
			return fmt.Errorf("running the encoder: %w", err)
		}
		defer batched.Finalize(outs)
		if err := batched.Rows(means[start*l:(start+count)*l], outs[0]); err != nil {
			return err
		}
		return batched.Rows(logVars[start*l:(start+count)*l], outs[1])
	})
	return means, logVars, err
}

// ELBO returns each image's reconstruction term −log p(x|z) and KL(q(z|x) ‖
// p(z)) in nats, averaged over samples draws of z from q(z|x) (samples >= 1)
// with an RNG seeded by seed. The KL is in closed form: exact for a model
// of one stochastic layer; for a hierarchy, each layer's KL is given the
// layers drawn above it. The negative ELBO is their sum (for a conditional
// model, a bound on −log p(x|y)).
func (m *Model) ELBO(images []float32, labels []int, samples int, seed int64) (recon, kl []float64, err error) {
	return m.elboSums(m.elbo, images, labels, samples, seed, false)
}

// SharedELBO is ELBO with the same draws for every image: the ε of each of
// the samples comes from seed alone, never from an image's batch or place
// in it, so an image scores the same alone or among others, in any order,
// up to float rounding: a batch of another size is another compiled
// program, and XLA may round its last bits otherwise (it does on CPUs
// without AVX-512), a difference of about 1e-9 of the score.
func (m *Model) SharedELBO(images []float32, labels []int, samples int, seed int64) (recon, kl []float64, err error) {
	if m.sharedELBO == nil {
		if m.sharedELBO, err = context.NewExec(m.backend, m.ctx, elboGraphOf(m.Config, models.SharedStateNoise)); err != nil {
			return nil, nil, fmt.Errorf("building the ELBO graph: %w", err)
		}
	}
	return m.elboSums(m.sharedELBO, images, labels, samples, seed, true)
}

// elboSums returns ELBO's per-image terms from the ELBO graph exec, its
// RNG state seeded once (restart false) or afresh for every batch.
func (m *Model) elboSums(exec *context.Exec, images []float32, labels []int, samples int, seed int64, restart bool) (recon, kl []float64, err error) {
	recon, layers, err := m.elboTermsOf(exec, images, labels, samples, seed, restart)
	if err != nil {
		return nil, nil, err
	}
	g := m.Config.Layers()
	kl = make([]float64, len(recon))
	for i := range kl {
		for _, v := range layers[i*g : (i+1)*g] {
			kl[i] += v
		}
	}
	return recon, kl, nil
}

// elboTerms is ELBO with the KL of each stochastic layer: layerKL holds,
// image after image, Layers() values, the top layer first.
func (m *Model) elboTerms(images []float32, labels []int, samples int, seed int64) (recon, layerKL []float64, err error) {
	return m.elboTermsOf(m.elbo, images, labels, samples, seed, false)
}

// elboTermsOf is elboTerms through the ELBO graph exec; with restart, each
// batch draws from a state seeded afresh by seed.
func (m *Model) elboTermsOf(exec *context.Exec, images []float32, labels []int, samples int, seed int64, restart bool) (recon, layerKL []float64, err error) {
	in, err := m.check(images, labels)
	if err != nil {
		return nil, nil, err
	}
	n := in.n
	if samples < 1 {
		return nil, nil, fmt.Errorf("ELBO samples %d: want at least 1", samples)
	}
	rng, err := graph.RNGStateFromSeed(seed)
	if err != nil {
		return nil, nil, err
	}
	defer func() { rng.FinalizeAll() }()
	g := m.Config.Layers()
	recon, layerKL = make([]float64, n), make([]float64, n*g)
	w := 1 / float64(samples)
	err = m.forBatches("elbo", in, m.batchSize(n, 1), func(x, y *tensors.Tensor, start, count int) error {
		if restart && start > 0 {
			rng.FinalizeAll()
			if rng, err = graph.RNGStateFromSeed(seed); err != nil {
				return err
			}
		}
		for range samples {
			outs, err := exec.Exec(x, y, rng)
			if err != nil {
				return fmt.Errorf("running the ELBO graph: %w", err)
			}
			rng.FinalizeAll()
			rng = outs[0]
			err = batched.AddRows(recon[start:start+count], outs[1], w)
			if err == nil {
				err = batched.AddRows(layerKL[start*g:(start+count)*g], outs[2], w)
			}
			batched.Finalize(outs[1:])
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return recon, layerKL, nil
}

// Codes returns draws posterior draws μ + tσε of every image's code at
// temperature t (1: the posterior; 0: its means) in code coordinates (what
// the decoder takes; a ladder's whitened code), flat [draws][n][code size],
// with an RNG seeded by seed: the aggregate posterior that a prior fitted
// after training models.
func (m *Model) Codes(images []float32, labels []int, draws int, seed int64, t float64) ([]float32, error) {
	in, err := m.check(images, labels)
	if err != nil {
		return nil, err
	}
	if draws < 1 {
		return nil, fmt.Errorf("%d posterior draws: want at least 1", draws)
	}
	if !(t >= 0) || math.IsInf(t, 1) {
		return nil, fmt.Errorf("posterior temperature %g: want a finite value ≥ 0", t)
	}
	exec := m.codes[draws]
	if exec == nil {
		if exec, err = context.NewExec(m.backend, m.ctx, codeGraph(m.Config, draws)); err != nil {
			return nil, fmt.Errorf("building the code graph: %w", err)
		}
		m.codes[draws] = exec
	}
	rng, err := graph.RNGStateFromSeed(seed)
	if err != nil {
		return nil, err
	}
	defer func() { rng.FinalizeAll() }()
	n, l := in.n, m.Config.Kind().Code().Size()
	codes := make([]float32, draws*n*l)
	err = m.forBatches("encode", in, m.batchSize(n, 1), func(x, y *tensors.Tensor, start, count int) error {
		outs, err := exec.Exec(x, y, rng, float32(t))
		if err != nil {
			return fmt.Errorf("running the code graph: %w", err)
		}
		rng.FinalizeAll()
		rng = outs[0]
		defer batched.Finalize(outs[1:])
		// outs[1] is [draws, b, l]: count images, padded to a whole batch of b.
		b := outs[1].Shape().Dimensions[1]
		return tensors.ConstFlatData(outs[1], func(flat []float32) {
			for d := range draws {
				copy(codes[(d*n+start)*l:(d*n+start+count)*l], flat[d*b*l:(d*b+count)*l])
			}
		})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// batchSize is the number of images per graph call when each takes
// samples decoder passes: at most n, at least 1.
func (m *Model) batchSize(n, samples int) int {
	return max(1, min(n, max(m.Batch, 1)/samples))
}

// MeanELBO returns the mean negative ELBO of images and its terms, in nats
// per image, with one z per image drawn with an RNG seeded by seed; for a
// model of several stochastic layers, with the mean KL of each.
func (m *Model) MeanELBO(images []float32, labels []int, seed int64) (models.Losses, error) {
	recon, layerKL, err := m.elboTerms(images, labels, 1, seed)
	if err != nil {
		return models.Losses{}, err
	}
	g, n := m.Config.Layers(), len(recon)
	l := models.Losses{Recon: Mean(recon)}
	for j := range g {
		var s float64
		for i := range n {
			s += layerKL[i*g+j]
		}
		l.KL += s / float64(n)
		if g > 1 {
			l.KLLayers = append(l.KLLayers, s/float64(n))
		}
	}
	l.NegELBO = l.Recon + l.KL
	return l, nil
}
