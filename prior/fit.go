package prior

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/runlock"
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

// WarmupSteps is the diffusion prior's learning-rate warm-up: the rate
// rises linearly to its peak, then stays there, so a fit resumed with more
// steps follows the schedule of one asked for them from the start.
const WarmupSteps = 200

// FitDiffusion trains a diffusion prior of cfg on the training codes as
// latent trains a VAE: Adam at a constant learning rate after a warm-up, a moving
// average of the weights, the batch of a step a pure function of the seed
// and the step, checkpoints in dir (with the optimizer and RNG state, so
// a resumed fit ends as an uninterrupted one), a lock on dir, and the
// held-out loss in dir's metrics.csv.
func FitDiffusion(b backends.Backend, dir string, cfg Config, training, heldOut Codes, opt FitOptions) error {
	cfg.Kind = KindDiffusion
	if err := cfg.Diffusion.Validate(); err != nil {
		return fmt.Errorf("diffusion prior: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	lock, err := runlock.Acquire(dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	ctx, start, err := diffusionContext(dir, &cfg, opt.Resume)
	if err != nil {
		return err
	}
	if opt.Resume && start >= cfg.Diffusion.Steps {
		return fmt.Errorf("%s holds a fit of %d steps: a resumed fit to %d steps does nothing; give more steps", dir, start, cfg.Diffusion.Steps)
	}
	f := &fitter{cfg: cfg, ctx: ctx, train: training, test: heldOut}
	if err := f.compile(b); err != nil {
		return err
	}
	defer f.finalize()
	return f.run(dir, start, opt)
}

// diffusionContext returns a fresh context seeded by cfg.Seed, or with
// Resume the latest checkpoint's, and the step to start from. A resumed
// fit keeps the denoiser's skip path as it was fitted (priors fitted
// before it have none).
func diffusionContext(dir string, cfg *Config, resume bool) (*context.Context, int64, error) {
	ctx := context.New()
	if !resume {
		ctx.SetRNGStateFromSeed(cfg.Seed)
		return ctx, 0, nil
	}
	ck, _, err := checkpoints.Latest(dir)
	if errors.Is(err, checkpoints.ErrNone) {
		ctx.SetRNGStateFromSeed(cfg.Seed)
		return ctx, 0, nil // stopped before its first checkpoint: start over
	}
	if err != nil {
		return nil, 0, fmt.Errorf("resuming the diffusion prior: %w", err)
	}
	saved, err := savedConfig(ck, KindDiffusion)
	if err != nil {
		return nil, 0, err
	}
	if saved.Diffusion == nil {
		return nil, 0, fmt.Errorf("%s: holds no diffusion prior's config", ck.Path)
	}
	d := *cfg.Diffusion // the caller's recipe stays as it was
	d.Skip = saved.Diffusion.Skip
	cfg.Diffusion = &d
	if err := ck.Restore(ctx); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", ck.Path, err)
	}
	return ctx, ck.Step, nil
}

// fitter holds a diffusion fit's compiled graphs and data.
type fitter struct {
	cfg         Config
	ctx         *context.Context
	train, test Codes
	z, zTest    []float32 // standardised codes
	step, eval  *context.Exec
}

func (f *fitter) compile(b backends.Backend) error {
	f.z, f.zTest = f.cfg.standardise(f.train.Z), f.cfg.standardise(f.test.Z)
	adam := optimizers.Adam().LearningRate(f.cfg.Diffusion.LR).Done()
	ema := f.cfg.Diffusion.EMA
	var err error
	f.step, err = context.NewExec(b, f.ctx.Checked(false), func(ctx *context.Context, z0, y, lr *Node) *Node {
		optimizers.LearningRateVar(ctx, lr.DType(), f.cfg.Diffusion.LR).SetValueGraph(lr)
		loss := DiffusionLoss(ctx, f.cfg, z0, y)
		adam.UpdateGraph(ctx, z0.Graph(), loss)
		if ema > 0 {
			rundir.UpdateAverages(ctx, z0.Graph(), ema)
		}
		return loss
	})
	if err != nil {
		return fmt.Errorf("building the diffusion prior's training step: %w", err)
	}
	f.eval, err = context.NewExec(b, f.ctx.Reuse(), func(ctx *context.Context, z0, y, t, eps *Node) *Node {
		return noiseLoss(ctx, f.cfg, z0, y, t, eps)
	})
	if err != nil {
		f.step.Finalize()
		return fmt.Errorf("building the diffusion prior's held-out loss: %w", err)
	}
	return nil
}

func (f *fitter) finalize() {
	f.step.Finalize()
	f.eval.Finalize()
}

// run trains from step start to the config's steps.
func (f *fitter) run(dir string, start int64, opt FitOptions) error {
	d := f.cfg.Diffusion
	metrics, err := openMetrics(filepath.Join(dir, "metrics.csv"), start)
	if err != nil {
		return err
	}
	defer metrics.Close()
	for step := start; step < d.Steps; step++ {
		if stopped(opt.Stop) {
			return f.interrupt(dir, start, step)
		}
		z, y := f.batch(step)
		lr := float32(d.schedule().At(step))
		out, err := f.step.Exec(z, y, lr)
		if err != nil {
			return fmt.Errorf("diffusion prior step %d: %w", step, err)
		}
		loss := float64(tensors.MustCopyFlatData[float32](out[0])[0])
		out[0].FinalizeAll()
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("diffusion prior step %d: the loss is %g; lower --lr", step, loss)
		}
		done := step + 1
		if opt.Progress != nil {
			opt.Progress(done, d.Steps, loss)
		}
		if done%max(opt.EvalEvery, 1) == 0 || done == d.Steps {
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
		if done%max(opt.SaveEvery, 1) == 0 || done == d.Steps {
			if err := save(dir, done, f.cfg, f.ctx, 2); err != nil {
				return err
			}
		}
	}
	return nil
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
	return &InterruptedError{Done: done, Steps: f.cfg.Diffusion.Steps}
}

// batch returns step's batch: codes drawn with replacement by a generator
// seeded by the seed and the step, and their labels.
func (f *fitter) batch(step int64) (*tensors.Tensor, *tensors.Tensor) {
	d, n, bs := f.cfg.Latent, f.train.rows(f.cfg.Latent), f.cfg.Diffusion.BatchSize
	rng := rand.New(rand.NewPCG(uint64(f.cfg.Seed), uint64(step)))
	z, y := make([]float32, bs*d), make([]int32, bs)
	for i := range bs {
		j := rng.IntN(n)
		copy(z[i*d:(i+1)*d], f.z[j*d:(j+1)*d])
		if f.train.Labels != nil {
			y[i] = int32(f.train.Labels[j])
		}
	}
	return tensors.FromFlatDataAndDimensions(z, bs, d), tensors.FromFlatDataAndDimensions(y, bs)
}

// heldOutLoss is the loss on the held-out codes (up to 4,096 of them), at
// times and noise drawn from a fixed seed, so successive values compare.
func (f *fitter) heldOutLoss() (float64, error) {
	d := f.cfg.Latent
	n := min(f.test.rows(d), 4096)
	if n == 0 {
		return math.NaN(), nil
	}
	rng := rand.New(rand.NewPCG(uint64(f.cfg.Seed), 0x74657374))
	t, eps, y := make([]float32, n), make([]float32, n*d), make([]int32, n)
	for i := range t {
		t[i] = rng.Float32()
		if f.test.Labels != nil {
			y[i] = int32(f.test.Labels[i])
		}
	}
	for i := range eps {
		eps[i] = float32(rng.NormFloat64())
	}
	out, err := f.eval.Exec(tensors.FromFlatDataAndDimensions(f.zTest[:n*d], n, d),
		tensors.FromFlatDataAndDimensions(y, n), tensors.FromFlatDataAndDimensions(t, n),
		tensors.FromFlatDataAndDimensions(eps, n, d))
	if err != nil {
		return 0, fmt.Errorf("diffusion prior held-out loss: %w", err)
	}
	defer out[0].FinalizeAll()
	return float64(tensors.MustCopyFlatData[float32](out[0])[0]), nil
}
