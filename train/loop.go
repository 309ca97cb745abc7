package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/malloc"
	"github.com/latent-vae/latent/internal/runlock"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// ErrInterrupted is returned by Fit when its context was cancelled (Ctrl-C or
// SIGTERM); a checkpoint of the last finished step has been saved.
var ErrInterrupted = errors.New("interrupted")

// FinishedError is returned by Fit when a resumed run has already reached
// its end: nothing was trained or written. A new end (Config.Steps or
// Epochs above the run's) extends it.
type FinishedError struct {
	Step     int64 // the latest checkpoint's
	Steps    int64 // the run's end
	PerEpoch int64 // steps per epoch
}

func (e *FinishedError) Error() string {
	return fmt.Sprintf("the run is finished: step %d of %d", e.Step, e.Steps)
}

// ErrRunExists is returned by Fit when a new run's folder already holds a run.
var ErrRunExists = errors.New("already holds a run")

// Options are how one invocation of Fit trains; unlike the config they are
// not saved with the run.
type Options struct {
	Out      string    // the run folder
	Resume   bool      // continue the run in Out from its latest checkpoint
	Log      io.Writer // messages such as where a resumed run starts (stderr); nil for none
	Progress Reporter  // per-step progress display; nil for none
	// Devices is how many of the backend's devices each step's batch is
	// split over (data-parallel, see NewParallelSession); 0 means 1. It is
	// not part of the run: a run saved on N devices resumes on any M that
	// divides its batch size.
	Devices int
	// Conditional makes a new run's model conditional on its data set's
	// class labels: its config's Model.Classes and Classes come from the
	// data. A resumed run keeps what it was.
	Conditional bool
	// Given, when not nil, names the settings of cfg its caller chose, by
	// latent train's flag names ("likelihood", "widths", …): a new run on
	// colour images takes rundir.ColourDefaults for the others. nil keeps
	// every setting of cfg.
	Given map[string]bool

	poisonStep int64 // when positive, the batch of that step gets a NaN (tests of the NaN guard)
}

// Result is what a finished Fit reports.
type Result struct {
	Step      int64         // steps completed
	Test      models.Losses // the last test-split evaluation
	ImagesSec float64       // training throughput of this invocation, after the first step
	FirstStep time.Duration
}

// Fit trains cfg's model into opt.Out until cfg.Steps steps are done (or,
// when Steps is 0, cfg.Epochs epochs), evaluating the test split at each
// epoch's end, logging metrics.csv, and saving checkpoints every
// cfg.SaveEvery steps, at the end and when ctx is cancelled. With
// opt.Resume the config and state come from opt.Out; a positive Steps or
// Epochs in cfg then sets a new end.
func Fit(ctx context.Context, b backends.Backend, cfg rundir.Config, opt Options) (res Result, err error) {
	if opt.Out == "" {
		return Result{}, errors.New("no run folder given")
	}
	created, err := claimFolder(opt.Out, opt.Resume)
	if err != nil {
		return Result{}, err
	}
	lock, err := runlock.Acquire(opt.Out)
	if err != nil {
		return Result{}, err
	}
	defer lock.Release()
	started := false // config.json written: the folder holds a run
	defer func() {
		if err != nil && created && !started {
			os.RemoveAll(opt.Out) // a failed first start leaves nothing behind
		}
	}()
	cfg, ck, err := prepareRun(cfg, opt)
	if err != nil {
		return Result{}, err
	}
	if err := CheckDevices(b, cfg.BatchSize, max(opt.Devices, 1)); err != nil {
		return Result{}, err
	}
	if !opt.Resume { // saved paths must not depend on the working folder, nor split settings on flags that do not apply
		if cfg.Data, err = cfg.Data.Recorded().Absolute(); err != nil {
			return Result{}, err
		}
		if cfg.Init != "" {
			if cfg.Init, err = filepath.Abs(cfg.Init); err != nil {
				return Result{}, fmt.Errorf("init run %s: %w", cfg.Init, err)
			}
		}
	}
	set, err := loadData(&cfg, ck == nil && !opt.Resume, opt)
	if err != nil {
		return Result{}, err
	}
	if err := CheckDevices(b, cfg.BatchSize, max(opt.Devices, 1)); err != nil { // the colour defaults may set the batch size
		return Result{}, err
	}
	batcher, err := data.NewBatcher(set.Train, cfg.BatchSize, cfg.Seed, cfg.Data.Binarize)
	if err != nil {
		return Result{}, err
	}
	perEpoch := int64(batcher.StepsPerEpoch())
	if cfg.Steps <= 0 {
		if cfg.Epochs > 0 && int64(cfg.Epochs) > math.MaxInt64/perEpoch {
			return Result{}, fmt.Errorf("%d epochs of %d steps overflow the step counter", cfg.Epochs, perEpoch)
		}
		cfg.Steps = int64(cfg.Epochs) * perEpoch
	}
	if cfg.Steps <= 0 {
		return Result{}, errors.New("the run's length must be positive: give a number of steps or epochs")
	}
	if ck != nil && ck.Step >= cfg.Steps {
		return Result{Step: ck.Step}, &FinishedError{Step: ck.Step, Steps: cfg.Steps, PerEpoch: perEpoch}
	}
	vars, start, err := initialState(b, cfg, ck)
	if err != nil {
		return Result{}, err
	}
	l, err := newLoop(b, cfg, opt, vars, set.Test, perEpoch)
	if err != nil {
		return Result{}, err
	}
	defer l.finalize()
	removeTemporaries(opt.Out)
	if !opt.Resume {
		if err := rundir.WriteConfig(opt.Out, cfg); err != nil {
			return Result{}, err
		}
	}
	started = true
	if opt.Log != nil && ck != nil {
		fmt.Fprintf(opt.Log, "resuming %s at step %d of %d from %s\n", opt.Out, start, cfg.Steps, filepath.Base(ck.Path))
	}
	return l.run(ctx, batcher, start)
}

// claimFolder makes sure dir can hold this run before anything is written:
// to resume, it must be a run folder; a new run needs a new or empty folder
// (a lock file left by an earlier failed start counts as empty), which it
// creates. It reports whether it created the folder.
func claimFolder(dir string, resume bool) (created bool, err error) {
	if resume {
		if _, err := rundir.ReadConfig(dir); err != nil {
			return false, fmt.Errorf("resuming: %w", err)
		}
		return false, nil
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, fmt.Errorf("creating run folder: %w", err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("run folder %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ConfigFile)); err == nil {
		return false, fmt.Errorf("%s %w", dir, ErrRunExists)
	}
	for _, e := range entries {
		if e.Name() != runlock.FileName {
			return false, fmt.Errorf("%s is not empty and holds no run (it has %s): choose a new or empty folder", dir, e.Name())
		}
	}
	return false, nil
}

// loadData loads the run's data set once. A new run takes its model's image
// shape, the colour defaults of the settings opt.Given does not name, and
// when opt.Conditional its classes, from the data; a resumed one checks the
// data still fits its model.
func loadData(cfg *rundir.Config, fresh bool, opt Options) (*data.Set, error) {
	log := opt.Log
	set, err := cfg.Data.Load()
	if err != nil {
		return nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "data set %s: %d training and %d test images of %dx%dx%d\n", set.Name,
			set.Train.N, set.Test.N, set.Train.Height, set.Train.Width, set.Train.Channels)
	}
	if set.Train.N == 0 || set.Test.N == 0 {
		return nil, fmt.Errorf("data set %s: %d training and %d test images: %w", cfg.Data.Spec, set.Train.N, set.Test.N, data.ErrEmptySplit)
	}
	if note := set.ChannelsNote(); note != "" && log != nil {
		fmt.Fprintln(log, note)
	}
	if fresh {
		cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = set.Train.Height, set.Train.Width, set.Train.Channels
		cfg.Data.Channels = set.Train.Channels // saved: the run reads its folder as it was trained
		if set := rundir.ColourDefaults(cfg, opt.Given); len(set) > 0 && log != nil {
			fmt.Fprintf(log, "colour images: defaults for colour %s (a flag given keeps its value)\n", strings.Join(set, " "))
		}
		if w := models.LikelihoodAdvice(cfg.Model); w != "" && log != nil {
			fmt.Fprintf(log, "warning: %s\n", w)
		}
		if cfg.Objective.Kind == rundir.BetaTCVAE {
			cfg.Objective.TrainSize = set.Train.N // N of the estimators of log q(z)
		}
		if opt.Conditional {
			if len(set.Classes) < 2 {
				return nil, fmt.Errorf("data set %s: a conditional model needs at least 2 classes, the set has %d", cfg.Data.Spec, len(set.Classes))
			}
			cfg.Model.Classes, cfg.Classes = len(set.Classes), set.Classes
			if log != nil {
				fmt.Fprintf(log, "conditional on %d classes: %s\n", len(set.Classes), strings.Join(set.Classes, ", "))
			}
		}
		if err := cfg.Model.Validate(); err != nil {
			return nil, err
		}
	}
	if err := cfg.CheckImages(set); err != nil {
		return nil, fmt.Errorf("data set %s: %w", cfg.Data.Spec, err)
	}
	return set, nil
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
func prepareRun(cfg rundir.Config, opt Options) (rundir.Config, *checkpoints.Checkpoint, error) {
	if !opt.Resume {
		return cfg, nil, nil
	}
	saved, err := rundir.ReadConfig(opt.Out)
	if err != nil {
		return cfg, nil, fmt.Errorf("resuming: %w", err)
	}
	if cfg.Steps > 0 || cfg.Epochs > 0 { // a resumed run may be given a new end
		saved.Steps, saved.Epochs = cfg.Steps, cfg.Epochs
	}
	ck, skipped, err := checkpoints.Latest(opt.Out)
	if opt.Log != nil {
		for _, s := range skipped {
			fmt.Fprintf(opt.Log, "warning: skipping a damaged checkpoint: %s\n", s)
		}
	}
	if errors.Is(err, checkpoints.ErrNone) {
		return saved, nil, nil // crashed before its first checkpoint: start over
	}
	if err != nil {
		return saved, nil, err
	}
	return saved, ck, rundir.CheckCheckpoint(ck, saved)
}

// initialState returns the variables to train and the first step: restored
// from ck when resuming, else fresh (seeded), with the init run's weights if
// the config names one.
func initialState(b backends.Backend, cfg rundir.Config, ck *checkpoints.Checkpoint) (*gctx.Context, int64, error) {
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
	cfg      rundir.Config
	opt      Options
	sess     *Session
	eval     *eval.Model // the test split's ELBO
	vars     *gctx.Context
	test     *data.Split // evaluated at each epoch's end
	testPix  []float32   // its pixels as rundir.Config.TestPixels gives them
	perEpoch int64
}

func newLoop(b backends.Backend, cfg rundir.Config, opt Options, vars *gctx.Context, test *data.Split, perEpoch int64) (*loop, error) {
	sess, err := NewParallelSession(b, cfg, vars, max(opt.Devices, 1))
	if err != nil {
		return nil, err
	}
	ev, err := eval.NewModel(b, vars, cfg.Model)
	if err != nil {
		sess.Finalize()
		return nil, err
	}
	ev.Batch = cfg.EvalBatch
	return &loop{cfg: cfg, opt: opt, sess: sess, eval: ev, vars: vars, test: test, testPix: cfg.TestPixels(test), perEpoch: perEpoch}, nil
}

func (l *loop) finalize() {
	l.sess.Finalize()
	l.eval.Finalize()
}

func (l *loop) run(ctx context.Context, batcher *data.Batcher, start int64) (Result, error) {
	metrics, err := openMetrics(l.opt.Out, start, l.cfg)
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
		batch := <-stream
		images := batch.Images
		if l.opt.poisonStep > 0 && step+1 == l.opt.poisonStep {
			images = poison(images)
		}
		t0 := time.Now()
		losses, err := l.sess.Step(images, batch.Labels, step)
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
			return res, nonFinite(done, losses, lastSaved, l.opt.Out)
		}
		res.Step = done
		acc.add(losses)
		if l.opt.Progress != nil {
			l.opt.Progress.Step(done, l.cfg.Steps, losses, res.ImagesSec)
		}
		var test *models.Losses
		if done%l.cfg.EvalInterval(l.perEpoch) == 0 || done == l.cfg.Steps {
			ev, err := l.evaluate(done)
			if err != nil {
				return res, err
			}
			test, res.Test = &ev, ev
		}
		if done%max(l.cfg.LogEvery, 1) == 0 || test != nil {
			row := metricsRow{Step: done, Epoch: float64(done) / float64(l.perEpoch), Train: acc.mean(),
				Test: test, ImagesSec: res.ImagesSec, Elapsed: time.Since(began).Seconds(), Layers: l.cfg.Model.Layers(),
				Quantized: models.Quantized(l.cfg.Model), Objective: l.cfg.Objective, Capacity: Capacity(l.cfg, step)}
			if err := metrics.write(row); err != nil {
				return res, err
			}
			acc = meanLosses{}
		}
		interrupted := ctx.Err() != nil
		if (l.cfg.SaveEvery > 0 && done%l.cfg.SaveEvery == 0) || done == l.cfg.Steps || interrupted {
			if _, err := checkpoints.Save(l.opt.Out, done, l.cfg, l.vars, l.cfg.Keep); err != nil {
				return res, err
			}
			lastSaved = done
		}
		if interrupted && done < l.cfg.Steps {
			return res, fmt.Errorf("%w at step %d; checkpoint saved", ErrInterrupted, done)
		}
	}
	return res, nil
}

// evaluate returns the test split's mean negative ELBO and its terms with
// one sampled z per image, drawn from a seed of the run and step (never
// from the run's RNG state, so evaluating does not change training).
func (l *loop) evaluate(done int64) (models.Losses, error) {
	// The evaluation's batches are larger than training's: each phase
	// gets the memory the other has freed (malloc otherwise keeps both
	// peaks, one per thread's heap, growing with every epoch).
	malloc.ReleaseFree()
	defer malloc.ReleaseFree()
	ev, err := l.eval.MeanELBO(l.testPix, l.test.Labels, l.cfg.Seed+done)
	if err == nil && models.Quantized(l.cfg.Model) {
		ev.Perplexity, ev.CodesUsed, err = l.eval.CodeUsage(l.testPix, l.test.Labels)
	}
	if err != nil {
		return ev, fmt.Errorf("evaluating the test split at step %d: %w", done, err)
	}
	if l.opt.Progress != nil {
		l.opt.Progress.Eval(done, float64(done)/float64(l.perEpoch), ev)
	}
	return ev, nil
}

// nonFinite is the error of a step whose loss is NaN or infinite.
func nonFinite(step int64, l models.Losses, lastSaved int64, dir string) error {
	kept := fmt.Sprintf("the last good checkpoint (step %d) is kept in %s", lastSaved, dir)
	if lastSaved == 0 {
		kept = "no checkpoint had been saved yet"
	}
	if !math.IsNaN(l.NegELBO) && !math.IsInf(l.NegELBO, 0) {
		return fmt.Errorf("step %d: the objective's terms (MI %v, TC %v, dimension-wise KL %v, discriminator loss %v) are not finite; training stopped, %s",
			step, l.MI, l.TC, l.DWKL, l.DiscLoss, kept)
	}
	return fmt.Errorf("step %d: negative ELBO %v (reconstruction %v, KL %v) is not finite; training stopped, %s",
		step, l.NegELBO, l.Recon, l.KL, kept)
}

// poison returns a copy of images with a NaN in it.
func poison(images []float32) []float32 {
	out := append([]float32(nil), images...)
	out[0] = float32(math.NaN())
	return out
}

// meanLosses accumulates losses to report their mean.
type meanLosses struct {
	sum models.Losses
	n   int
}

func (m *meanLosses) add(l models.Losses) {
	m.sum.NegELBO += l.NegELBO
	m.sum.Recon += l.Recon
	m.sum.KL += l.KL
	m.sum.Commitment += l.Commitment
	m.sum.Perplexity += l.Perplexity
	m.sum.CodesUsed += l.CodesUsed
	m.sum.MI += l.MI
	m.sum.TC += l.TC
	m.sum.DWKL += l.DWKL
	m.sum.DiscLoss += l.DiscLoss
	m.sum.DiscAccuracy += l.DiscAccuracy
	if m.sum.KLLayers == nil && len(l.KLLayers) > 0 {
		m.sum.KLLayers = make([]float64, len(l.KLLayers))
	}
	for i, v := range l.KLLayers {
		m.sum.KLLayers[i] += v
	}
	m.n++
}

func (m *meanLosses) mean() *models.Losses {
	if m.n == 0 {
		return nil
	}
	n := float64(m.n)
	l := &models.Losses{NegELBO: m.sum.NegELBO / n, Recon: m.sum.Recon / n, KL: m.sum.KL / n,
		Commitment: m.sum.Commitment / n, Perplexity: m.sum.Perplexity / n, CodesUsed: m.sum.CodesUsed / n,
		MI: m.sum.MI / n, TC: m.sum.TC / n, DWKL: m.sum.DWKL / n, DiscLoss: m.sum.DiscLoss / n, DiscAccuracy: m.sum.DiscAccuracy / n}
	for _, v := range m.sum.KLLayers {
		l.KLLayers = append(l.KLLayers, v/n)
	}
	return l
}
