package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/data"
)

// ErrInterrupted is returned by Fit when its context was cancelled (Ctrl-C or
// SIGTERM); a checkpoint of the last finished step has been saved.
var ErrInterrupted = errors.New("interrupted")

// Options are how one invocation of Fit trains; unlike Config they are not
// saved with the run.
type Options struct {
	Out      string    // the run folder
	Resume   bool      // continue the run in Out from its latest checkpoint
	Log      io.Writer // messages such as where a resumed run starts (stderr); nil for none
	Progress Reporter  // per-step progress display; nil for none
	// InjectNaNAt, when positive, poisons the batch of that step (tests of the NaN guard).
	InjectNaNAt int64
}

// Result is what a finished Fit reports.
type Result struct {
	Step      int64   // steps completed
	Test      Losses  // the last test-split evaluation
	ImagesSec float64 // training throughput of this invocation, after the first step
	FirstStep time.Duration
}

// Fit trains cfg's model into opt.Out until cfg.Steps steps are done,
// evaluating the test split at each epoch's end, logging metrics.csv, and
// saving checkpoints every cfg.SaveEvery steps, at the end and when ctx is
// cancelled. With opt.Resume the config and state come from opt.Out.
func Fit(ctx context.Context, b backends.Backend, cfg Config, opt Options) (Result, error) {
	cfg, ck, err := prepareRun(cfg, opt)
	if err != nil {
		return Result{}, err
	}
	if !opt.Resume { // a new model takes its image shape from the data
		set, err := cfg.LoadData()
		if err != nil {
			return Result{}, err
		}
		cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = set.Train.Height, set.Train.Width, set.Train.Channels
		if err := cfg.Model.Validate(); err != nil {
			return Result{}, err
		}
	}
	set, err := cfg.LoadDataAs("")
	if err != nil {
		return Result{}, fmt.Errorf("--data %s: %w", cfg.Data.Spec, err)
	}
	batcher, err := data.NewBatcher(set.Train, cfg.BatchSize, cfg.Seed, cfg.Data.Binarize)
	if err != nil {
		return Result{}, err
	}
	perEpoch := int64(batcher.StepsPerEpoch())
	if cfg.Epochs > 0 {
		cfg.Steps = int64(cfg.Epochs) * perEpoch
	}
	if cfg.Steps <= 0 {
		return Result{}, errors.New("--steps or --epochs must be positive")
	}
	removeTemporaries(opt.Out)
	if !opt.Resume {
		if err := os.MkdirAll(opt.Out, 0o755); err != nil {
			return Result{}, fmt.Errorf("creating run folder: %w", err)
		}
		if err := checkpoints.WriteConfig(opt.Out, cfg); err != nil {
			return Result{}, err
		}
	}
	vars, start, err := initialState(b, cfg, ck)
	if err != nil {
		return Result{}, err
	}
	if opt.Log != nil && ck != nil {
		fmt.Fprintf(opt.Log, "resuming %s at step %d of %d from %s\n", opt.Out, start, cfg.Steps, filepath.Base(ck.Path))
	}
	sess, err := NewSession(b, cfg, vars)
	if err != nil {
		return Result{}, err
	}
	l := &loop{cfg: cfg, opt: opt, sess: sess, vars: vars, test: set.Test, perEpoch: perEpoch}
	return l.run(ctx, batcher, start)
}

// removeTemporaries deletes the temporary files that a process killed while
// writing into dir left behind; finished files are never temporary.
func removeTemporaries(dir string) {
	tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, f := range tmp {
		_ = os.Remove(f)
	}
}

// prepareRun checks the run folder and, when resuming, reads its config and
// latest checkpoint (a nil checkpoint means a fresh run).
func prepareRun(cfg Config, opt Options) (Config, *checkpoints.Checkpoint, error) {
	if opt.Out == "" {
		return cfg, nil, errors.New("--out: a run folder is required")
	}
	_, statErr := os.Stat(filepath.Join(opt.Out, checkpoints.ConfigFile))
	if !opt.Resume {
		if statErr == nil {
			return cfg, nil, fmt.Errorf("--out %s already holds a run; continue it with --resume or choose another folder", opt.Out)
		}
		return cfg, nil, nil
	}
	var saved Config
	if err := checkpoints.ReadConfig(opt.Out, &saved); err != nil {
		return cfg, nil, fmt.Errorf("--resume: %w", err)
	}
	if cfg.Steps > 0 || cfg.Epochs > 0 { // a resumed run may be given a new end
		saved.Steps, saved.Epochs = cfg.Steps, cfg.Epochs
	}
	ck, _, err := checkpoints.Latest(opt.Out)
	if errors.Is(err, checkpoints.ErrNone) {
		return saved, nil, nil // crashed before its first checkpoint: start over
	}
	if err != nil {
		return saved, nil, err
	}
	var ckCfg Config
	if err := json.Unmarshal(ck.Config, &ckCfg); err != nil {
		return saved, nil, fmt.Errorf("checkpoint %s: config: %w", ck.Path, err)
	}
	if diff := Diff(ckCfg.Model, saved.Model); diff != "" {
		return saved, nil, fmt.Errorf("checkpoint %s does not match %s: %s", ck.Path, checkpoints.ConfigFile, diff)
	}
	return saved, ck, nil
}

// initialState returns the variables to train and the first step: restored
// from ck when resuming, else fresh (seeded), with --init's weights if set.
func initialState(b backends.Backend, cfg Config, ck *checkpoints.Checkpoint) (*gctx.Context, int64, error) {
	vars := gctx.New()
	if ck != nil {
		if err := ck.Restore(vars); err != nil {
			return nil, 0, err
		}
		return vars, ck.Step, nil
	}
	if err := vars.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, 0, err
	}
	if cfg.Init != "" {
		if err := initFrom(b, cfg, vars); err != nil {
			return nil, 0, err
		}
	}
	return vars, 0, nil
}

// loop is one invocation's training state.
type loop struct {
	cfg      Config
	opt      Options
	sess     *Session
	vars     *gctx.Context
	test     *data.Split
	perEpoch int64
}

func (l *loop) run(ctx context.Context, batcher *data.Batcher, start int64) (Result, error) {
	metrics, err := openMetrics(l.opt.Out, start)
	if err != nil {
		return Result{}, err
	}
	defer metrics.Close()
	streamCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := batcher.Stream(streamCtx, start)
	res := Result{Step: start}
	var acc meanLosses
	lastSaved, began := start, time.Now()
	var stepTime time.Duration // time in training steps after this invocation's first
	for step := start; step < l.cfg.Steps; step++ {
		images := (<-stream).Images
		if l.opt.InjectNaNAt > 0 && step+1 == l.opt.InjectNaNAt {
			images = poison(images)
		}
		t0 := time.Now()
		losses, err := l.sess.Step(images, step)
		if err != nil {
			return res, err
		}
		done := step + 1
		if step == start {
			res.FirstStep = time.Since(began)
		} else {
			stepTime += time.Since(t0)
			res.ImagesSec = float64(int64(l.cfg.BatchSize)*(done-start-1)) / stepTime.Seconds()
		}
		if !losses.IsFinite() {
			return res, fmt.Errorf("step %d: negative ELBO %v (reconstruction %v, KL %v) is not finite; "+
				"training stopped, the last good checkpoint (step %d) is kept in %s",
				done, losses.NegELBO, losses.Recon, losses.KL, lastSaved, l.opt.Out)
		}
		res.Step = done
		acc.add(losses)
		if l.opt.Progress != nil {
			l.opt.Progress.Step(done, l.cfg.Steps, losses, res.ImagesSec)
		}
		var test *Losses
		if done%l.perEpoch == 0 || done == l.cfg.Steps {
			ev, err := l.sess.Evaluate(l.test, l.cfg.Seed+done)
			if err != nil {
				return res, err
			}
			test, res.Test = &ev, ev
			if l.opt.Progress != nil {
				l.opt.Progress.Eval(done, float64(done)/float64(l.perEpoch), ev)
			}
		}
		if done%max(l.cfg.LogEvery, 1) == 0 || test != nil {
			row := metricsRow{Step: done, Epoch: float64(done) / float64(l.perEpoch), Train: acc.mean(),
				Test: test, ImagesSec: res.ImagesSec, Elapsed: time.Since(began).Seconds()}
			if err := metrics.write(row); err != nil {
				return res, err
			}
			acc = meanLosses{}
		}
		interrupted := ctx.Err() != nil
		if (l.cfg.SaveEvery > 0 && done%l.cfg.SaveEvery == 0) || done == l.cfg.Steps || interrupted {
			if err := l.save(done); err != nil {
				return res, err
			}
			lastSaved = done
		}
		if interrupted && done < l.cfg.Steps {
			return res, fmt.Errorf("%w at step %d; checkpoint saved, continue with: latent train --out %s --resume",
				ErrInterrupted, done, l.opt.Out)
		}
	}
	if start >= l.cfg.Steps { // the run had already reached its end: report where it stands
		res.Test, err = l.sess.Evaluate(l.test, l.cfg.Seed+start)
	}
	return res, err
}

func (l *loop) save(step int64) error {
	_, err := checkpoints.Save(l.opt.Out, step, l.cfg, l.vars, l.cfg.Keep)
	return err
}

// poison returns a copy of images with a NaN in it.
func poison(images []float32) []float32 {
	out := append([]float32(nil), images...)
	out[0] = float32(nanValue())
	return out
}

// meanLosses accumulates losses to report their mean.
type meanLosses struct {
	sum Losses
	n   int
}

func (m *meanLosses) add(l Losses) {
	m.sum.NegELBO += l.NegELBO
	m.sum.Recon += l.Recon
	m.sum.KL += l.KL
	m.n++
}

func (m *meanLosses) mean() *Losses {
	if m.n == 0 {
		return nil
	}
	n := float64(m.n)
	return &Losses{NegELBO: m.sum.NegELBO / n, Recon: m.sum.Recon / n, KL: m.sum.KL / n}
}
