package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
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

func runPriorFit(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("prior fit", "--run DIR --kind gmm|diffusion [--components 10] [--draws N] [--draw-temperature T] [--seed S] [--backend B]\n"+
		"       diffusion: [--steps N] [--width W] [--blocks B] [--batch N] [--lr LR] [--ema D] [--resume]", stderr)
	f := priorFitFlags{run: runFlag(fs), backend: backendFlag(fs), diffusion: prior.DefaultDiffusion()}
	f.kind = fs.String("kind", "", "the prior to fit: gmm (a Gaussian mixture, EM: under a minute) or diffusion (a denoising diffusion model: minutes)")
	f.components = fs.Int("components", 10, "gmm: Gaussians in the mixture (per class for a conditional run)")
	f.draws = fs.Int("draws", 0, "posterior draws per training image (default: 1 for gmm, 4 for diffusion)")
	f.drawTemperature = fs.Float64("draw-temperature", 1, "temperature T of the posterior draws μ + Tσε, in [0, 1] (1: the posterior; 0: its means; below 1: sharper samples, less varied)")
	f.seed = fs.Int64("seed", 1, "seed of the posterior draws, the mixture's start and the diffusion model's training")
	f.resume = fs.Bool("resume", false, "diffusion: continue the fit from its latest checkpoint (to --steps)")
	d := &f.diffusion
	fs.Int64Var(&d.Steps, "steps", d.Steps, "diffusion: training steps")
	fs.IntVar(&d.Width, "width", d.Width, "diffusion: units of the denoiser's residual MLP")
	fs.IntVar(&d.Blocks, "blocks", d.Blocks, "diffusion: residual blocks of the denoiser")
	fs.IntVar(&d.BatchSize, "batch", d.BatchSize, "diffusion: codes per training step")
	fs.Float64Var(&d.LR, "lr", d.LR, "diffusion: Adam's learning rate (after a 200-step warm-up)")
	fs.Float64Var(&d.EMA, "ema", d.EMA, "diffusion: decay of the weights' moving average that samples (0: none)")
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
	cfg := prior.Config{Kind: *f.kind, Latent: s.cfg.Latent, Classes: s.cfg.Classes, RunStep: s.run.Step,
		Draws: *f.draws, DrawTemperature: *f.drawTemperature, Seed: *f.seed}
	training, heldOut, err := s.priorCodes(cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	if cfg.Kind == prior.KindGMM {
		return fitMixtures(s, cfg, *f.components, training, heldOut, start, stdout)
	}
	cfg.Diffusion = &f.diffusion
	cfg.Moments(training.Z)
	dir := prior.Dir(s.run.Dir, prior.KindDiffusion)
	opt := prior.FitOptions{Resume: *f.resume, SaveEvery: 1000, EvalEvery: 1000,
		Progress: fitProgress(stderr, cfg.Diffusion.Steps)}
	if err := prior.FitDiffusion(s.b, dir, cfg, training, heldOut, opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fitted a diffusion prior (width %d, %d blocks, %d steps) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s (metrics.csv: held-out loss)\n",
		f.diffusion.Width, f.diffusion.Blocks, f.diffusion.Steps, len(training.Z)/cfg.Latent, cfg.DrawTemperature, time.Since(start).Seconds(), dir)
	return nil
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

// fitMixtures fits and saves a gmm prior and reports its held-out
// log-likelihood beside N(0, I)'s.
func fitMixtures(s *session, cfg prior.Config, components int, training, heldOut prior.Codes, start time.Time, stdout io.Writer) error {
	cfg.Components = components
	m, ll, err := prior.FitMixtures(cfg, training, heldOut)
	if err != nil {
		return fmt.Errorf("fitting the gmm prior: %w", err)
	}
	dir := prior.Dir(s.run.Dir, prior.KindGMM)
	if err := m.Save(dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fitted a gmm prior (%d components) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s\n",
		components, len(training.Z)/cfg.Latent, cfg.DrawTemperature, time.Since(start).Seconds(), dir)
	fmt.Fprintf(stdout, "held-out log-likelihood of the test codes: %.2f nats per code (N(0, I): %.2f)\n",
		ll, prior.NormalLogLikelihood(heldOut.Z, cfg.Latent))
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
	fmt.Fprintf(s.stderr, "prior: %s, fitted at the run's step %d (--prior normal for N(0, I))\n", kind, saved.Config.RunStep)
	if saved.Config.RunStep != s.run.Step {
		fmt.Fprintf(s.stderr, "warning: the %s prior was fitted to the codes of step %d, the run is at step %d: refit it with `latent prior fit --run %s --kind %s`\n",
			kind, saved.Config.RunStep, s.run.Step, s.run.Dir, kind)
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
