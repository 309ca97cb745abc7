// Package train trains latent's models: the training step (this file), the
// loop with checkpoints, metrics and resume (loop.go), the KL schedule
// (schedule.go), fine-tuning from another run (init.go), the metrics table
// (metrics.go) and progress display (progress.go). The objective comes from
// models; the run's configuration and folder from rundir.
package train

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// Session holds the compiled training step of one model, compiled once and
// reused for every batch.
type Session struct {
	cfg  rundir.Config
	step *context.Exec
}

// NewSession builds the training step for cfg on ctx. ctx holds the run's
// variables (fresh, or restored from a checkpoint) and the RNG state used
// for the reparameterisation noise.
func NewSession(b backends.Backend, cfg rundir.Config, ctx *context.Context) (*Session, error) {
	if err := cfg.Model.Validate(); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	opt := optimizers.Adam().LearningRate(cfg.LR).Done()
	m := cfg.Model
	step, err := context.NewExec(b, ctx.Checked(false), func(ctx *context.Context, x, klWeight *Node) []*Node {
		t := models.ELBO(ctx, m, x, models.ContextNoise(ctx))
		opt.UpdateGraph(ctx, x.Graph(), t.Loss(klWeight))
		r, k := ReduceAllMean(t.Recon), ReduceAllMean(t.KL)
		return []*Node{Add(r, k), r, k}
	})
	if err != nil {
		return nil, fmt.Errorf("building the training step: %w", err)
	}
	return &Session{cfg: cfg, step: step}, nil
}

// Step runs one Adam step on a batch of cfg.BatchSize images (NHWC, flat) as
// global step number step (counted from 0), and returns the batch's losses.
func (s *Session) Step(images []float32, step int64) (models.Losses, error) {
	m := s.cfg.Model
	n := len(images) / (m.Height * m.Width * m.Channels)
	x := tensors.FromFlatDataAndDimensions(images, n, m.Height, m.Width, m.Channels)
	w := tensors.FromScalar(float32(KLWeight(s.cfg, step)))
	out, err := s.step.Exec(x, w)
	x.FinalizeAll()
	if err != nil {
		return models.Losses{}, fmt.Errorf("training step %d: %w", step, err)
	}
	return models.Losses{NegELBO: scalar(out[0]), Recon: scalar(out[1]), KL: scalar(out[2])}, nil
}

// Finalize frees the compiled step.
func (s *Session) Finalize() { s.step.Finalize() }

func scalar(t *tensors.Tensor) float64 {
	v := float64(tensors.ToScalar[float32](t))
	t.FinalizeAll()
	return v
}
