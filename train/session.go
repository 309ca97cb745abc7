// Package train trains latent's VAEs: the training step and test-split
// evaluation (this file), the loop with checkpoints, metrics and resume
// (loop.go), and the run's configuration (config.go).
package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/models"
)

// Losses are a batch's or a split's mean terms, in nats per image.
type Losses struct {
	NegELBO float64 // reconstruction + KL (β = 1), the number users compare
	Recon   float64 // −E_q log p(x|z), one sampled z
	KL      float64 // KL(q(z|x) ‖ p(z))
}

// IsFinite reports whether every term is a finite number.
func (l Losses) IsFinite() bool {
	for _, v := range []float64{l.NegELBO, l.Recon, l.KL} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Session holds the compiled training step and evaluation graphs of one
// model; each is compiled once and reused for every batch.
type Session struct {
	cfg  Config
	ctx  *context.Context
	step *context.Exec
	eval *context.Exec
}

// NewSession builds the training and evaluation graphs for cfg on ctx. ctx
// holds the run's variables (fresh, or restored from a checkpoint) and the
// RNG state used for the reparameterisation noise.
func NewSession(b backends.Backend, cfg Config, ctx *context.Context) (*Session, error) {
	if err := cfg.Model.Validate(); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	ctx = ctx.Checked(false)
	opt := optimizers.Adam().LearningRate(cfg.LR).Done()
	m := cfg.Model
	stepFn := func(ctx *context.Context, x, klWeight *Node) []*Node {
		recon, kl := terms(ctx, m, x, func(mean, logVar *Node) *Node { return models.Sample(ctx, mean, logVar) })
		loss := ReduceAllMean(Add(recon, Mul(klWeight, kl)))
		opt.UpdateGraph(ctx, x.Graph(), loss)
		r, k := ReduceAllMean(recon), ReduceAllMean(kl)
		return []*Node{Add(r, k), r, k}
	}
	evalFn := func(ctx *context.Context, x, mask, rng *Node) []*Node {
		var newRNG *Node
		recon, kl := terms(ctx, m, x, func(mean, logVar *Node) *Node {
			var eps *Node
			newRNG, eps = RandomNormal(rng, mean.Shape())
			return Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
		})
		return []*Node{ReduceAllSum(Mul(recon, mask)), ReduceAllSum(Mul(kl, mask)), newRNG}
	}
	step, err := context.NewExec(b, ctx, stepFn)
	if err != nil {
		return nil, fmt.Errorf("building the training step: %w", err)
	}
	eval, err := context.NewExec(b, ctx, evalFn)
	if err != nil {
		return nil, fmt.Errorf("building the evaluation graph: %w", err)
	}
	return &Session{cfg: cfg, ctx: ctx, step: step, eval: eval}, nil
}

// terms computes the per-image reconstruction NLL and KL, drawing z with sample.
func terms(ctx *context.Context, m models.Config, x *Node, sample func(mean, logVar *Node) *Node) (recon, kl *Node) {
	mean, logVar := models.Encode(ctx, m, x)
	out := models.Decode(ctx, m, sample(mean, logVar))
	return models.ReconNLL(ctx, m, x, out), models.KL(mean, logVar)
}

// KLWeight is the KL term's weight at a step: Beta, reached linearly over the
// first KLWarmup steps.
func (c Config) KLWeight(step int64) float64 {
	if c.KLWarmup <= 0 || step >= c.KLWarmup {
		return c.Model.Beta
	}
	return c.Model.Beta * float64(step+1) / float64(c.KLWarmup)
}

// Step runs one Adam step on a batch of cfg.BatchSize images (NHWC, flat) as
// global step number step (counted from 0), and returns the batch's losses.
func (s *Session) Step(images []float32, step int64) (Losses, error) {
	m := s.cfg.Model
	n := len(images) / (m.Height * m.Width * m.Channels)
	x := tensors.FromFlatDataAndDimensions(images, n, m.Height, m.Width, m.Channels)
	w := tensors.FromScalar(float32(s.cfg.KLWeight(step)))
	out, err := s.step.Exec(x, w)
	x.FinalizeAll()
	if err != nil {
		return Losses{}, fmt.Errorf("training step %d: %w", step, err)
	}
	return Losses{NegELBO: scalar(out[0]), Recon: scalar(out[1]), KL: scalar(out[2])}, nil
}

// Evaluate returns the split's mean negative ELBO, reconstruction and KL with
// one sampled z per image, drawn from seed (never from the run's RNG state, so
// evaluating does not change training). Batches are padded to one size, so
// the graph compiles once.
func (s *Session) Evaluate(split *data.Split, seed int64) (Losses, error) {
	if split.N == 0 {
		return Losses{}, fmt.Errorf("evaluating: the test split is empty")
	}
	bs := min(s.cfg.EvalBatch, split.N)
	if bs <= 0 {
		bs = min(500, split.N)
	}
	rng, err := RNGStateFromSeed(seed)
	if err != nil {
		return Losses{}, err
	}
	per := split.Height * split.Width * split.Channels
	var sumRecon, sumKL float64
	for start := 0; start < split.N; start += bs {
		n := min(bs, split.N-start)
		buf := make([]float32, bs*per)
		copy(buf, split.Images[start*per:(start+n)*per])
		mask := make([]float32, bs)
		for i := range n {
			mask[i] = 1
		}
		out, err := s.eval.Exec(tensors.FromFlatDataAndDimensions(buf, bs, split.Height, split.Width, split.Channels),
			tensors.FromFlatDataAndDimensions(mask, bs), rng)
		if err != nil {
			return Losses{}, fmt.Errorf("evaluating: %w", err)
		}
		sumRecon += scalar(out[0])
		sumKL += scalar(out[1])
		rng = out[2]
	}
	n := float64(split.N)
	return Losses{NegELBO: (sumRecon + sumKL) / n, Recon: sumRecon / n, KL: sumKL / n}, nil
}

func scalar(t *tensors.Tensor) float64 {
	v := float64(tensors.ToScalar[float32](t))
	t.FinalizeAll()
	return v
}
