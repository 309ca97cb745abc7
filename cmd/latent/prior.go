package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
)

// runPrior implements `latent prior fit`: a prior fitted to a trained
// run's codes, saved in the run folder, which every command that draws
// random latents then uses (--prior).
func runPrior(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "fit" {
		return runPriorFit(args[1:], stdout, stderr)
	}
	fs := newFlagSet("prior", "fit --run DIR --kind gmm|diffusion [flags]   (latent prior fit --help for its flags)", stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	return usagef("prior wants a subcommand: fit")
}

// priorFitFlags are `latent prior fit`'s flags.
type priorFitFlags struct {
	run, backend, kind *string
	components, draws  *int
	drawTemperature    *float64
	seed               *int64
	resume             *bool
	diffusion          prior.DiffusionConfig
}

// priorFitFlagSet defines `latent prior fit`'s flags.
func priorFitFlagSet(stderr io.Writer) (*flag.FlagSet, *priorFitFlags) {
	fs := newFlagSet("prior fit", "--run DIR --kind gmm|diffusion [--components 10] [--draws N] [--draw-temperature T] [--seed S] [--backend B]\n"+
		"       diffusion: [--steps N] [--width W] [--blocks B] [--batch N] [--lr LR] [--ema D] [--resume]", stderr)
	f := &priorFitFlags{run: runFlag(fs), backend: backendFlag(fs), diffusion: prior.DefaultDiffusion()}
	f.kind = fs.String("kind", "", "the prior to fit: gmm (a Gaussian mixture, EM: under a minute) or diffusion (a denoising diffusion model: minutes)")
	f.components = fs.Int("components", 10, "gmm: Gaussians in the mixture (per class for a conditional run), at most codes/(d+1)")
	f.draws = fs.Int("draws", 0, "posterior draws per training image (default: 1 for gmm, 4 for diffusion)")
	f.drawTemperature = fs.Float64("draw-temperature", 1, "temperature T of the posterior draws μ + Tσε, in [0, 1] (1: the posterior; 0: its means; below 1: sharper samples, less varied)")
	f.seed = fs.Int64("seed", 1, "seed of the posterior draws, the mixture's start and the diffusion model's training")
	f.resume = fs.Bool("resume", false, "diffusion: continue the fit (an interrupted one, else the prior in place) from its latest checkpoint to --steps")
	d := &f.diffusion
	fs.Int64Var(&d.Steps, "steps", d.Steps, "diffusion: training steps")
	fs.IntVar(&d.Width, "width", d.Width, "diffusion: units of the denoiser's residual MLP")
	fs.IntVar(&d.Blocks, "blocks", d.Blocks, "diffusion: residual blocks of the denoiser")
	fs.IntVar(&d.BatchSize, "batch", d.BatchSize, "diffusion: codes per training step")
	fs.Float64Var(&d.LR, "lr", d.LR, fmt.Sprintf("diffusion: Adam's learning rate (after a %d-step warm-up)", prior.WarmupSteps))
	fs.Float64Var(&d.EMA, "ema", d.EMA, "diffusion: decay of the weights' moving average that samples (0: none)")
	return fs, f
}

// runPriorFit fits a prior in the run's partial folder under the kind's
// lock (taken before the codes are encoded) and puts it in place whole.
// SIGINT or SIGTERM stops it with exit 130: a diffusion fit saves its
// checkpoint for --resume, and nothing replaces the prior in place.
func runPriorFit(args []string, stdout, stderr io.Writer) error {
	fs, f := priorFitFlagSet(stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if err := f.check(flagsSet(fs)); err != nil {
		return err
	}
	s, err := openSession(*f.run, *f.backend, stderr)
	if err != nil {
		return err
	}
	defer s.close()
	origin, err := prior.OriginOf(s.run)
	if err != nil {
		return fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := prior.Begin(s.run.Dir, *f.kind, *f.resume)
	if err != nil {
		return err
	}
	defer w.Release()
	if err := f.checkResume(w, origin); err != nil {
		w.Abandon()
		return err
	}
	cfg := prior.Config{Kind: *f.kind, Draws: *f.draws, DrawTemperature: *f.drawTemperature, Seed: *f.seed, Components: *f.components}
	origin.Stamp(&cfg)
	fit := priorFit{s: s, w: w, cfg: cfg, stop: ctx.Done(), stdout: stdout, stderr: stderr}
	err = fit.run(&f.diffusion)
	var interrupted *prior.InterruptedError
	switch {
	case errors.As(err, &interrupted) && interrupted.Done > 0:
		fmt.Fprintf(stderr, "latent prior fit: %v; the prior in use is unchanged, the fit so far is in %s: continue it with `latent prior fit --run %s --kind %s --resume --steps %d`\n",
			err, w.Dir, s.run.Dir, w.Kind, interrupted.Steps)
		return errExit(130)
	case errors.As(err, &interrupted), errors.Is(err, errPriorInterrupted):
		w.Abandon()
		fmt.Fprintf(stderr, "latent prior fit: interrupted before the fit began; nothing was replaced\n")
		return errExit(130)
	case err != nil:
		w.Abandon()
	}
	return err
}

// errPriorInterrupted stops a fit interrupted before it began.
var errPriorInterrupted = errors.New("interrupted")

// checkResume refuses to continue a fit that is not this run checkpoint's
// or has done --steps already, before the codes are encoded.
func (f *priorFitFlags) checkResume(w *prior.Workspace, origin prior.Origin) error {
	if w.Saved == nil {
		return nil
	}
	if w.Saved.RunStep != origin.Step || (w.Saved.RunCheckpoint != "" && w.Saved.RunCheckpoint != origin.Checkpoint) {
		return fmt.Errorf("--resume: the fit in %s was begun on the run's checkpoint of step %d, the run is now at step %d: start a new fit (without --resume)",
			w.Dir, w.Saved.RunStep, origin.Step)
	}
	if f.diffusion.Steps <= w.Done {
		return fmt.Errorf("--resume --steps %d: the fit in %s has done %d steps already; nothing was done: give --steps above %d to continue it",
			f.diffusion.Steps, w.Dir, w.Done, w.Done)
	}
	return nil
}

// priorFit is one `latent prior fit`, its lock held.
type priorFit struct {
	s              *session
	w              *prior.Workspace
	cfg            prior.Config
	stop           <-chan struct{}
	stdout, stderr io.Writer
}

// run encodes the codes, fits the prior in the partial folder and commits it.
func (p *priorFit) run(diffusion *prior.DiffusionConfig) error {
	start := time.Now()
	training, heldOut, err := p.s.priorCodes(p.cfg)
	if err != nil {
		return err
	}
	if stopped(p.stop) {
		return errPriorInterrupted
	}
	if p.cfg.Kind == prior.KindGMM {
		return p.mixtures(training, heldOut, start)
	}
	cfg := p.cfg
	cfg.Components, cfg.Diffusion = 0, diffusion
	cfg.Moments(training.Z)
	opt := prior.FitOptions{Resume: p.w.Done > 0, SaveEvery: 1000, EvalEvery: 1000, Stop: p.stop,
		Progress: fitProgress(p.stderr, cfg.Diffusion.Steps)}
	if err := prior.FitDiffusion(p.s.b, p.w.Dir, cfg, training, heldOut, opt); err != nil {
		return err
	}
	if err := p.w.Commit(); err != nil {
		return err
	}
	from := ""
	if p.w.Done > 0 {
		from = fmt.Sprintf(", resumed at step %d", p.w.Done)
	}
	fmt.Fprintf(p.stdout, "fitted a diffusion prior (width %d, %d blocks, %d steps%s) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s (metrics.csv: held-out loss)\n",
		diffusion.Width, diffusion.Blocks, diffusion.Steps, from, len(training.Z)/cfg.Latent, cfg.DrawTemperature, time.Since(start).Seconds(), p.w.Final)
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

// check checks the flags' values; set holds the flags given.
func (f *priorFitFlags) check(set map[string]bool) error {
	switch {
	case *f.run == "":
		return usagef("--run: a run folder is required")
	case *f.kind != prior.KindGMM && *f.kind != prior.KindDiffusion:
		return usagef("--kind %q: want gmm or diffusion", *f.kind)
	case *f.components < 1:
		return usagef("--components %d: want ≥ 1", *f.components)
	case *f.draws < 0:
		return usagef("--draws %d: want ≥ 1 (0: the default)", *f.draws)
	case !(*f.drawTemperature >= 0 && *f.drawTemperature <= 1):
		return usagef("--draw-temperature %g: want a value in [0, 1]", *f.drawTemperature)
	}
	if *f.kind == prior.KindGMM {
		for _, name := range []string{"steps", "width", "blocks", "batch", "lr", "ema", "resume"} {
			if set[name] {
				return usagef("--%s is a diffusion prior's flag; --kind gmm does not take it", name)
			}
		}
	} else if set["components"] {
		return usagef("--components is a gmm prior's flag; --kind diffusion does not take it")
	}
	if *f.draws == 0 {
		*f.draws = map[string]int{prior.KindGMM: 1, prior.KindDiffusion: 4}[*f.kind]
	}
	if err := f.diffusion.Validate(); err != nil {
		return usagef("diffusion flags: %v", err)
	}
	return nil
}

// priorCodes returns cfg.Draws posterior draws of the codes of the run's
// training split, and one of its test split, with their labels, at cfg's
// temperature.
func (s *session) priorCodes(cfg prior.Config) (training, heldOut prior.Codes, err error) {
	set, err := s.dataSet("", "data set")
	if err != nil {
		return training, heldOut, err
	}
	if err := checkComponents(cfg, set.Train.Labels, set.Train.N); err != nil {
		return training, heldOut, err
	}
	m, err := s.evalModel(1000)
	if err != nil {
		return training, heldOut, err
	}
	codes := func(images []float32, labels []int, draws int) (prior.Codes, error) {
		z, err := m.Codes(images, labels, draws, cfg.Seed, cfg.DrawTemperature)
		if err != nil {
			return prior.Codes{}, fmt.Errorf("--run %s: %w", s.run.Dir, err)
		}
		c := prior.Codes{Z: make([]float64, len(z))}
		for i, v := range z {
			c.Z[i] = float64(v)
		}
		if s.cfg.Conditional() {
			for range draws {
				c.Labels = append(c.Labels, labels...)
			}
		}
		return c, nil
	}
	if training, err = codes(set.Train.Images(), set.Train.Labels, cfg.Draws); err != nil {
		return training, heldOut, err
	}
	heldOut, err = codes(set.Test.Images(), set.Test.Labels, 1)
	return training, heldOut, err
}

// mixtures fits the gmm prior, saves it in the partial folder and commits
// it, and reports its held-out log-likelihood beside N(0, I)'s.
func (p *priorFit) mixtures(training, heldOut prior.Codes, start time.Time) error {
	m, ll, err := prior.FitMixtures(p.cfg, training, heldOut)
	if err != nil {
		return fmt.Errorf("fitting the gmm prior: %w", err)
	}
	if stopped(p.stop) {
		return errPriorInterrupted
	}
	if err := m.Save(p.w.Dir); err != nil {
		return err
	}
	if err := p.w.Commit(); err != nil {
		return err
	}
	d := p.cfg.Latent
	fewer := ""
	for c, g := range m.PerClass {
		if g.K() < p.cfg.Components {
			fewer += fmt.Sprintf(", class %d: %d", c, g.K())
		}
	}
	if fewer != "" {
		fewer = " (fewer in small classes" + fewer + ")"
	}
	fmt.Fprintf(p.stdout, "fitted a gmm prior (%d components%s) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s\n",
		p.cfg.Components, fewer, len(training.Z)/d, p.cfg.DrawTemperature, time.Since(start).Seconds(), p.w.Final)
	fmt.Fprintf(p.stdout, "held-out log-likelihood of the test codes: %.2f nats per code (N(0, I): %.2f)\n",
		ll, prior.NormalLogLikelihood(heldOut.Z, d))
	return nil
}

// checkComponents refuses a gmm prior's components for the codes that n
// training images (with their labels) give, before they are encoded.
func checkComponents(cfg prior.Config, labels []int, n int) error {
	if cfg.Kind != prior.KindGMM {
		return nil
	}
	counts := []int{n * cfg.Draws}
	if cfg.Classes > 0 {
		counts = make([]int, cfg.Classes)
		for _, y := range labels[:n] {
			counts[y] += cfg.Draws
		}
	}
	if err := prior.CheckComponents(cfg.Components, cfg.Latent, counts); err != nil {
		return fmt.Errorf("--components %d: %w; nothing was replaced: lower --components or raise --draws", cfg.Components, err)
	}
	return nil
}

// fitProgress reports the diffusion prior's fit through stepProgress, with
// the step's loss on each line: one every tenth of the steps.
func fitProgress(stderr io.Writer, steps int64) func(done, total int64, loss float64) {
	report := stepProgress(stderr, "fitting the diffusion prior", int(steps), int(max(steps/10, 1)))
	return func(done, total int64, loss float64) {
		report(int(done), int(total), fmt.Sprintf(", loss %.4f", loss))
	}
}

// defaultPriorSteps is the DDIM steps a diffusion prior samples in.
const defaultPriorSteps = 50

// priorFlags are the flags of a command that draws random latents.
type priorFlags struct {
	name  *string
	steps *int
}

// addPriorFlags defines --prior and --prior-steps.
func addPriorFlags(fs *flag.FlagSet) priorFlags {
	return priorFlags{
		name: fs.String("prior", prior.Auto, "prior of the random latents: auto (the run's best fitted prior: diffusion, else gmm, else normal), "+
			"normal (N(0, I)), gmm or diffusion (fitted by latent prior fit)"),
		steps: fs.Int("prior-steps", defaultPriorSteps, "sampling steps of a diffusion prior (DDIM)"),
	}
}

// check checks the flags' values.
func (p priorFlags) check() error {
	if !slices.Contains(prior.Names(), *p.name) {
		return usagef("--prior %q: want auto, normal, gmm or diffusion", *p.name)
	}
	if *p.steps < 1 || *p.steps > 10000 {
		return usagef("--prior-steps %d: want 1 to 10000", *p.steps)
	}
	return nil
}

// drawCodes draws n codes from the run's prior that p names, at
// temperature, for a conditional run one per label, and says on stderr
// which prior it used. It returns the prior's name.
func (s *session) drawCodes(p priorFlags, n int, seed int64, temperature float64, labels []int) ([]float32, string, error) {
	c, err := s.openSampler(*p.name, *p.steps, generate.BatchFor(n))
	if err != nil {
		return nil, "", err
	}
	defer c.close()
	codes, err := c.draw(n, seed, temperature, labels)
	return codes, c.kind, err
}

// codeSampler draws codes from one of a run's priors.
type codeSampler struct {
	kind   string
	latent int
	steps  int              // a diffusion prior's sampling steps
	mix    *prior.Mixtures  // gmm
	diff   *prior.Diffusion // diffusion
}

// openSampler opens the run's prior that name (a --prior value) names,
// for batches of batch codes, saying on stderr which prior it is and
// warning when it was fitted to an earlier checkpoint of the run.
func (s *session) openSampler(name string, steps, batch int) (*codeSampler, error) {
	kind, err := prior.Resolve(s.run.Dir, name)
	if errors.Is(err, prior.ErrNotFitted) {
		return nil, fmt.Errorf("--prior %s: %w", name, err)
	} else if err != nil {
		return nil, usageErr(err)
	}
	c := &codeSampler{kind: kind, latent: s.cfg.Latent, steps: steps}
	if kind == prior.Normal {
		if name == prior.Auto {
			fmt.Fprintf(s.stderr, "prior: normal (N(0, I)); fit a better one with `latent prior fit --run %s --kind gmm`\n", s.run.Dir)
		}
		return c, nil
	}
	saved, err := prior.Read(s.run.Dir, kind)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	origin, err := prior.OriginOf(s.run)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	warning, err := origin.Check(saved.Config, saved.Ckpt.Path)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	fmt.Fprintf(s.stderr, "prior: %s, fitted at the run's step %d (--prior normal for N(0, I))\n", saved.Config.Describe(), saved.Config.RunStep)
	if warning != "" {
		fmt.Fprintln(s.stderr, warning)
	}
	if kind == prior.KindGMM {
		c.mix, err = saved.Mixtures()
	} else {
		c.diff, err = saved.Diffusion(s.b, batch)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// draw draws n codes at temperature (the standard deviation of N(0, I)'s
// codes, of a mixture component's noise or of the diffusion's starting
// noise) with seed; a conditional prior takes one label per code.
func (c *codeSampler) draw(n int, seed int64, temperature float64, labels []int) ([]float32, error) {
	switch {
	case c.mix != nil:
		return c.mix.Sample(n, seed, temperature, labels)
	case c.diff != nil:
		return c.diff.Sample(n, seed, temperature, labels, c.steps)
	}
	return generate.RandomLatents(n, c.latent, seed, temperature), nil
}

// close frees a diffusion prior's compiled step.
func (c *codeSampler) close() {
	if c.diff != nil {
		c.diff.Finalize()
	}
}
