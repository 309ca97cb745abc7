// Package train trains latent's models: the training step (this file), the
// loop with checkpoints, metrics and resume (loop.go), the KL schedule
// and learning-rate schedules (schedule.go), fine-tuning from another run (init.go), the metrics table
// (metrics.go) and progress display (progress.go). The objective comes from
// models; the run's configuration and folder from rundir.
package train

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// BatchAxis is the name of the device mesh axis that a data-parallel
// session splits each batch over.
const BatchAxis = "batch"

// Session holds the compiled training step of one model, compiled once and
// reused for every batch.
type Session struct {
	cfg     rundir.Config
	step    *context.Exec
	devices int
}

// NewSession builds the training step for cfg on ctx, on one device. ctx
// holds the run's variables (fresh, or restored from a checkpoint) and the
// RNG state used for the reparameterisation noise. The step minimises the
// negative ELBO (with free bits when cfg.Objective says so), the negative
// importance-weighted bound, or a disentangling objective (objective.go),
// at the learning rate of LearningRate, and updates the weights' moving
// average when the run keeps one.
func NewSession(b backends.Backend, cfg rundir.Config, ctx *context.Context) (*Session, error) {
	return NewParallelSession(b, cfg, ctx, 1)
}

// NewParallelSession builds the training step for cfg on ctx, data-parallel
// over the first devices devices of b: each batch is split along its first
// axis into devices equal parts, one per device, the variables and the
// optimizer state are replicated on every device, and XLA partitions the
// one program and reduces the gradients (GoMLX's AutoSharding). The step is
// the one-device step: the noise is drawn for the whole batch from ctx's RNG,
// so the losses do not depend on devices beyond float rounding. devices must
// divide cfg.BatchSize.
func NewParallelSession(b backends.Backend, cfg rundir.Config, ctx *context.Context, devices int) (*Session, error) {
	if err := cfg.Model.Validate(); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	if err := cfg.Objective.Validate(); err != nil {
		return nil, fmt.Errorf("objective: %w", err)
	}
	if err := CheckDevices(b, cfg.BatchSize, devices); err != nil {
		return nil, err
	}
	if err := checkObjective(cfg, devices); err != nil {
		return nil, fmt.Errorf("objective: %w", err)
	}
	opt := optimizers.Adam().LearningRate(cfg.LR).Done()
	m, o := cfg.Model, cfg.Objective
	step, err := context.NewExec(b, ctx.Checked(false), func(ctx *context.Context, in []*Node) []*Node {
		x, labels, klWeight, lr := in[0], in[1], in[2], in[3] // then the objective's (objectiveArgs)
		optimizers.LearningRateVar(ctx, lr.DType(), cfg.LR).SetValueGraph(lr)
		p := models.Sample(ctx, m, x, labels, max(o.IWTrain, 1), models.ContextNoise(ctx))
		t := p.Terms()
		obj := buildObjective(ctx, cfg, p, t, klWeight, in[4:])
		obj.update(ctx, cfg, x.Graph(), opt)
		models.UpdateQuantizer(ctx, m, p) // after the optimiser: it reads the codebook the loss read
		if o.EMA > 0 {
			rundir.UpdateAverages(ctx, x.Graph(), o.EMA)
		}
		r, k := ReduceAllMean(t.Recon), ReduceAllMean(t.KL)
		outs := []*Node{Add(r, k), r, k}
		if m.Layers() > 1 {
			for _, l := range t.LayerKL() {
				outs = append(outs, ReduceAllMean(l))
			}
		}
		if models.Quantized(m) {
			outs = append(outs, quantizerOutputs(m, p)...)
		}
		return append(outs, obj.outputs...)
	})
	if err != nil {
		return nil, fmt.Errorf("building the training step: %w", err)
	}
	if devices > 1 {
		batch, err := BatchSharding(devices)
		if err != nil {
			step.Finalize()
			return nil, err
		}
		// The images and labels are split along the batch axis; the KL
		// weight, the learning rate, the variables and the outputs are
		// replicated.
		step.AutoSharding(batch.Mesh).WithInputShardingSpecs(batch, batch, nil, nil)
	}
	return &Session{cfg: cfg, step: step, devices: devices}, nil
}

// ErrDevices is wrapped by the errors of a device count that cannot train
// a run: more devices than the backend has, or a batch that does not split
// evenly over them.
var ErrDevices = errors.New("cannot split the batch over the devices")

// CheckDevices checks that a batch of batchSize images can be split over
// devices devices of b.
func CheckDevices(b backends.Backend, batchSize, devices int) error {
	switch {
	case devices < 1:
		return fmt.Errorf("%w: %d devices, want at least 1", ErrDevices, devices)
	case devices > b.NumDevices():
		return fmt.Errorf("%w: %d devices asked for, but the backend presents %d", ErrDevices, devices, b.NumDevices())
	case batchSize%devices != 0:
		return fmt.Errorf("%w: the batch size %d does not divide by %d devices (each device takes an equal share)", ErrDevices, batchSize, devices)
	}
	return nil
}

// BatchSharding is the sharding of a data-parallel session's images: their
// first axis split over a one-axis mesh of devices devices named BatchAxis.
func BatchSharding(devices int) (*distributed.ShardingSpec, error) {
	mesh, err := distributed.NewDeviceMesh([]int{devices}, []string{BatchAxis})
	if err != nil {
		return nil, fmt.Errorf("device mesh of %d devices: %w", devices, err)
	}
	return distributed.NewShardingSpec(mesh, distributed.AxisSpec{BatchAxis})
}

// Devices is the number of devices the session's steps run on.
func (s *Session) Devices() int { return s.devices }

// Step runs one Adam step on a batch of cfg.BatchSize images (NHWC, flat)
// with their labels (which only a conditional model uses: nil is fine for
// the others) as global step number step (counted from 0), and returns the
// batch's losses.
func (s *Session) Step(images []float32, labels []int, step int64) (models.Losses, error) {
	m := s.cfg.Model
	size := m.Height * m.Width * m.Channels
	n := len(images) / size
	if n%s.devices != 0 {
		return models.Losses{}, fmt.Errorf("training step %d: %d images do not divide by %d devices", step, n, s.devices)
	}
	ys, err := m.LabelInput(labels, n)
	if err != nil {
		return models.Losses{}, fmt.Errorf("training step %d: %w", step, err)
	}
	if ys == nil {
		ys = make([]int32, n) // an unconditional model's graph still takes labels
	}
	w := float32(KLWeight(s.cfg, step))
	lr := float32(LearningRate(s.cfg, step))
	per := n / s.devices
	extra := objectiveArgs(s.cfg, n, step)           // one device when there are any (checkObjective)
	args := make([]any, 0, (4+len(extra))*s.devices) // device by device: its images and labels, the KL weight, the learning rate, the objective's
	for d := range s.devices {
		shard := images[d*per*size : (d+1)*per*size]
		args = append(args, tensors.FromFlatDataAndDimensions(shard, per, m.Height, m.Width, m.Channels),
			tensors.FromFlatDataAndDimensions(ys[d*per:(d+1)*per], per), w, lr)
		args = append(args, extra...)
	}
	out, err := s.step.Exec(args...)
	for _, a := range args {
		if t, ok := a.(*tensors.Tensor); ok {
			t.FinalizeAll()
		}
	}
	if err != nil {
		return models.Losses{}, fmt.Errorf("training step %d: %w", step, err)
	}
	outputs := stepOutputs(s.cfg)
	for _, t := range out[outputs:] { // the other devices' copies of the replicated losses
		t.FinalizeAll()
	}
	l := models.Losses{NegELBO: scalar(out[0]), Recon: scalar(out[1]), KL: scalar(out[2])}
	objective := out[outputs-objectiveOutputs(s.cfg.Objective) : outputs]
	layers := out[3 : outputs-len(objective)]
	objectiveLosses(&l, s.cfg.Objective, objective)
	if models.Quantized(m) {
		q := layers[len(layers)-quantizerValues:]
		layers = layers[:len(layers)-quantizerValues]
		l.Commitment, l.Perplexity, l.CodesUsed = scalar(q[0]), scalar(q[1]), scalar(q[2])
	}
	for _, t := range layers {
		l.KLLayers = append(l.KLLayers, scalar(t))
	}
	return l, nil
}

// quantizerValues is the number of outputs a quantised model's step adds:
// the commitment term, the codebook perplexity and the fraction of codes
// used, of the batch.
const quantizerValues = 3

// quantizerOutputs are a quantised model's extra step outputs.
func quantizerOutputs(m models.Config, p models.Pass) []*Node {
	g := p.Groups[0]
	commit := ScalarZero(g.Z.Graph(), g.Z.DType())
	if g.Commitment != nil {
		commit = ReduceAllMean(g.Commitment)
	}
	perplexity, used := models.PassUsage(m, p)
	return []*Node{commit, perplexity, used}
}

// stepOutputs is the number of values a step of cfg returns (per device):
// the ELBO's terms, each layer's KL for a hierarchy, the quantiser's and
// the objective's.
func stepOutputs(cfg rundir.Config) int {
	m := cfg.Model
	n := 3 + objectiveOutputs(cfg.Objective)
	if m.Layers() > 1 {
		n += m.Layers()
	}
	if models.Quantized(m) {
		n += quantizerValues
	}
	return n
}

// Finalize frees the compiled step.
func (s *Session) Finalize() { s.step.Finalize() }

func scalar(t *tensors.Tensor) float64 {
	v := float64(tensors.ToScalar[float32](t))
	t.FinalizeAll()
	return v
}
