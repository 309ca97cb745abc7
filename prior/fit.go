package prior

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/runlock"
	"github.com/latent-vae/latent/internal/schedule"
	"github.com/latent-vae/latent/rundir"
)

// Codes are posterior draws of a run's codes with their labels (nil for an
// unconditional run): n rows of Latent values.
type Codes struct {
	Z      []float64
	Labels []int
}

// rows is the number of codes.
func (c Codes) rows(d int) int { return len(c.Z) / d }

// byClass splits codes by label: one set per class, or one in all.
func (c Codes) byClass(d, classes int) [][]float64 {
	if classes == 0 {
		return [][]float64{c.Z}
	}
	out := make([][]float64, classes)
	for i, y := range c.Labels {
		out[y] = append(out[y], c.Z[i*d:(i+1)*d]...)
	}
	return out
}

// MaxComponents is the most Gaussians a mixture fitted to n codes of d
// dimensions may have: d+1 codes per component, the fewest points whose
// covariance has full rank (a full-covariance Gaussian has d(d+3)/2
// parameters; with fewer codes a component collapses onto a few codes and
// draws near-copies of them).
func MaxComponents(n, d int) int { return n / (d + 1) }

// CheckComponents refuses k components per mixture for classes of counts[c]
// codes of d dimensions (one count for an unconditional prior): at least
// one class must hold k components by MaxComponents' rule. A conditional
// prior's smaller classes are then fitted with as many as they hold.
func CheckComponents(k, d int, counts []int) error {
	largest := 0
	for _, n := range counts {
		largest = max(largest, n)
	}
	if k <= MaxComponents(largest, d) {
		return nil
	}
	of := fmt.Sprintf("there are %d codes", largest)
	if len(counts) > 1 {
		of = fmt.Sprintf("the largest of %d classes has %d codes", len(counts), largest)
	}
	fits := "not even one component fits them"
	if m := MaxComponents(largest, d); m > 0 {
		fits = fmt.Sprintf("at most %d components fit them", m)
	}
	return fmt.Errorf("a mixture of %d full-covariance Gaussians in %d dimensions needs at least %d codes (d+1 = %d per component), %s: %s",
		k, d, k*(d+1), d+1, of, fits)
}

// FitMixtures fits cfg.Components-component mixtures to the training codes
// (one per class of a conditional cfg) and returns them with the mean
// log-likelihood of the held-out codes in nats per code. More components
// than CheckComponents allows is an error; a class of a conditional prior
// too small for them gets as many as MaxComponents gives it (at least one).
func FitMixtures(cfg Config, training, heldOut Codes) (*Mixtures, float64, error) {
	cfg.Kind = KindGMM
	d := cfg.Latent
	m := &Mixtures{Config: cfg}
	sets := training.byClass(d, cfg.Classes)
	counts := make([]int, len(sets))
	for c, z := range sets {
		counts[c] = len(z) / d
	}
	if err := CheckComponents(cfg.Components, d, counts); err != nil {
		return nil, 0, err
	}
	for c, z := range sets {
		k := max(1, min(cfg.Components, MaxComponents(len(z)/d, d)))
		g, _, err := FitGMM(z, d, k, cfg.Seed+int64(c))
		if err != nil {
			if cfg.Classes > 0 {
				return nil, 0, fmt.Errorf("class %d: %w", c, err)
			}
			return nil, 0, err
		}
		m.PerClass = append(m.PerClass, g)
	}
	return m, m.logLikelihood(heldOut), nil
}

// logLikelihood is the mean log-density of codes under their class's mixture.
func (m *Mixtures) logLikelihood(codes Codes) float64 {
	d, total, n := m.Config.Latent, 0.0, 0
	for c, z := range codes.byClass(d, m.Config.Classes) {
		if len(z) > 0 {
			total += m.PerClass[c].LogLikelihood(z) * float64(len(z)/d)
			n += len(z) / d
		}
	}
	return total / float64(max(n, 1))
}

// NormalLogLikelihood is the mean log-density of codes under N(0, I), in
// nats per code: what a fitted prior's held-out log-likelihood improves on.
func NormalLogLikelihood(z []float64, d int) float64 {
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	n := float64(len(z) / d)
	return -0.5*s/n - 0.5*float64(d)*math.Log(2*math.Pi)
}

// FitOptions steer FitDiffusion.
type FitOptions struct {
	Resume    bool  // continue from the prior's latest checkpoint
	SaveEvery int64 // steps between checkpoints (the last step is always saved)
	EvalEvery int64 // steps between held-out losses
	// Progress, when not nil, is called after every step with the steps
	// done, the steps in all and the step's loss.
	Progress func(done, total int64, loss float64)
	// Eval, when not nil, is called with each held-out loss.
	Eval func(done int64, train, heldOut float64)
	// Stop, when closed, interrupts the fit: it saves a checkpoint at the
	// step reached and returns an *InterruptedError.
	Stop <-chan struct{}
}

// InterruptedError is FitDiffusion's error when FitOptions.Stop closed: the
// fit saved its checkpoint of step Done (of Steps), which a resumed fit
// continues; Done 0 saved nothing.
type InterruptedError struct{ Done, Steps int64 }

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted at step %d of %d", e.Done, e.Steps)
}

// WarmupSteps is a trained prior's learning-rate warm-up: the rate rises
// linearly to its peak, then stays there, so a fit resumed with more steps
// follows the schedule of one asked for them from the start.
const WarmupSteps = 200

// network is a prior fitted by gradient steps (the diffusion's denoiser,
// the transformer over code grids): what fitNetwork asks of its kind.
type network interface {
	// what names the prior in messages: "diffusion prior".
	what() string
	// recipe is the fit's steps, learning rate and weight averaging.
	recipe() netRecipe
	// loss is the training loss of a batch's inputs, its noise drawn from
	// ctx's RNG.
	loss(ctx *context.Context, in []*Node) *Node
	// heldOutLoss is the loss of the held-out inputs, which hold any noise
	// it needs, so successive values compare.
	heldOutLoss(ctx *context.Context, in []*Node) *Node
	// batch is the inputs of step's batch, a pure function of the seed
	// and the step.
	batch(step int64) []*tensors.Tensor
	// heldOut is the inputs of the held-out loss; nil when there are none.
	heldOut() []*tensors.Tensor
}

// netRecipe is what every trained prior's fit shares.
type netRecipe struct {
	Steps    int64
	LR       float64
	Schedule schedule.LR
	EMA      float64 // decay of the weights' moving average (0: none)
}

// fitNetwork trains net as latent trains a VAE: Adam on the recipe's
// schedule, a moving average of the weights, checkpoints of cfg in dir
// (with the optimizer and RNG state, so a resumed fit ends as an
// uninterrupted one) from step start of ctx, a lock on dir, and the
// held-out loss in dir's metrics.csv.
func fitNetwork(b backends.Backend, dir string, cfg Config, ctx *context.Context, start int64, net network, opt FitOptions) error {
	r := net.recipe()
	if opt.Resume && start >= r.Steps {
		return fmt.Errorf("%s holds a fit of %d steps: a resumed fit to %d steps does nothing; give more steps", dir, start, r.Steps)
	}
	f := &fitter{cfg: cfg, ctx: ctx, net: net}
	if err := f.compile(b); err != nil {
		return err
	}
	defer f.finalize()
	return f.run(dir, start, opt)
}

// lockedFit creates dir, holds its lock while fit runs, and returns fit's
// error.
func lockedFit(dir string, fit func() error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	lock, err := runlock.Acquire(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	return fit()
}

// netContext returns a fresh context seeded by cfg.Seed, or with resume
// the latest checkpoint's in dir, the step to start from, and that
// checkpoint's config (nil for a fresh context).
func netContext(dir string, cfg Config, resume bool) (*context.Context, int64, *Config, error) {
	ctx := context.New()
	if !resume {
		ctx.SetRNGStateFromSeed(cfg.Seed)
		return ctx, 0, nil, nil
	}
	ck, _, err := checkpoints.Latest(dir)
	if errors.Is(err, checkpoints.ErrNone) {
		ctx.SetRNGStateFromSeed(cfg.Seed)
		return ctx, 0, nil, nil // stopped before its first checkpoint: start over
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("resuming the %s prior: %w", cfg.Kind, err)
	}
	saved, err := savedConfig(ck, cfg.Kind)
	if err != nil {
		return nil, 0, nil, err
	}
	if err := ck.Restore(ctx); err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", ck.Path, err)
	}
	return ctx, ck.Step, &saved, nil
}

// fitter holds a trained prior's compiled graphs.
type fitter struct {
	cfg        Config
	ctx        *context.Context
	net        network
	step, eval *context.Exec
}

func (f *fitter) compile(b backends.Backend) error {
	r := f.net.recipe()
	adam := optimizers.Adam().LearningRate(r.LR).Done()
	var err error
	f.step, err = context.NewExec(b, f.ctx.Checked(false), func(ctx *context.Context, in []*Node) *Node {
		lr := in[len(in)-1]
		optimizers.LearningRateVar(ctx, lr.DType(), r.LR).SetValueGraph(lr)
		loss := f.net.loss(ctx, in[:len(in)-1])
		adam.UpdateGraph(ctx, lr.Graph(), loss)
		if r.EMA > 0 {
			rundir.UpdateAverages(ctx, lr.Graph(), r.EMA)
		}
		return loss
	})
	if err != nil {
		return fmt.Errorf("building the %s's training step: %w", f.net.what(), err)
	}
	f.eval, err = context.NewExec(b, f.ctx.Reuse(), func(ctx *context.Context, in []*Node) *Node {
		return f.net.heldOutLoss(ctx, in)
	})
	if err != nil {
		f.step.Finalize()
		return fmt.Errorf("building the %s's held-out loss: %w", f.net.what(), err)
	}
	return nil
}

func (f *fitter) finalize() {
	f.step.Finalize()
	f.eval.Finalize()
}

// run trains from step start to the recipe's steps.
func (f *fitter) run(dir string, start int64, opt FitOptions) error {
	r := f.net.recipe()
	metrics, err := openMetrics(filepath.Join(dir, "metrics.csv"), start)
	if err != nil {
		return err
	}
	defer metrics.Close()
	for step := start; step < r.Steps; step++ {
		if stopped(opt.Stop) {
			return f.interrupt(dir, start, step)
		}
		in := append(f.net.batch(step), tensors.FromScalar(float32(r.Schedule.At(step))))
		out, err := f.step.Exec(anys(in)...)
		if err != nil {
			return fmt.Errorf("%s step %d: %w", f.net.what(), step, err)
		}
		loss := float64(tensors.MustCopyFlatData[float32](out[0])[0])
		out[0].FinalizeAll()
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("%s step %d: the loss is %g; lower --lr", f.net.what(), step, loss)
		}
		done := step + 1
		if opt.Progress != nil {
			opt.Progress(done, r.Steps, loss)
		}
		if done%max(opt.EvalEvery, 1) == 0 || done == r.Steps {
			held, err := f.heldOutLoss()
			if err != nil {
				return err
			}
			if err := metrics.write(done, loss, held); err != nil {
				return err
			}
			if opt.Eval != nil {
				opt.Eval(done, loss, held)
			}
		}
		if done%max(opt.SaveEvery, 1) == 0 || done == r.Steps {
			if err := save(dir, done, f.cfg, f.ctx, 2); err != nil {
				return err
			}
		}
	}
	return nil
}

// anys converts tensors to the arguments of an Exec.
func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// interrupt saves the checkpoint of done steps (unless the fit, begun at
// start, has one) and returns the *InterruptedError.
func (f *fitter) interrupt(dir string, start, done int64) error {
	if done > start {
		if err := save(dir, done, f.cfg, f.ctx, 2); err != nil {
			return err
		}
	}
	return &InterruptedError{Done: done, Steps: f.net.recipe().Steps}
}

// heldOutLoss is the loss on the network's held-out inputs (NaN without any).
func (f *fitter) heldOutLoss() (float64, error) {
	in := f.net.heldOut()
	if in == nil {
		return math.NaN(), nil
	}
	out, err := f.eval.Exec(anys(in)...)
	if err != nil {
		return 0, fmt.Errorf("%s held-out loss: %w", f.net.what(), err)
	}
	defer out[0].FinalizeAll()
	return float64(tensors.MustCopyFlatData[float32](out[0])[0]), nil
}
