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
	"strings"
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
	fs := newFlagSet("prior", "fit --run DIR --kind "+strings.Join(prior.KindNames(), "|")+" [flags]   (latent prior fit --help for its flags)", stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	return usagef("prior wants a subcommand: fit")
}

// priorFitFlags are `latent prior fit`'s flags: the ones every kind takes,
// and each kind's own (prior.DefineFitFlags).
type priorFitFlags struct {
	run, backend, kind *string
	draws              *int
	drawTemperature    *float64
	seed               *int64
	kinds              *prior.FitFlags
	recipe             prior.Recipe // --kind's, once checked
}

// priorFitFlagSet defines `latent prior fit`'s flags.
func priorFitFlagSet(stderr io.Writer) (*flag.FlagSet, *priorFitFlags) {
	fs := newFlagSet("prior fit", "--run DIR --kind "+strings.Join(prior.KindNames(), "|")+
		" [--draws N] [--draw-temperature T] [--seed S] [--backend B] [the kind's flags]"+kindFlagsSynopsis(), stderr)
	f := &priorFitFlags{run: runFlag(fs), backend: backendFlag(fs)}
	var kinds, draws []string
	for _, k := range prior.Registered() {
		kinds = append(kinds, fmt.Sprintf("%s (%s)", k.Name, k.Help))
		draws = append(draws, fmt.Sprintf("%d for %s", k.Draws, k.Name))
	}
	f.kind = fs.String("kind", "", "the prior to fit: "+prior.Either(kinds))
	f.draws = fs.Int("draws", 0, "posterior draws per training image (default: "+strings.Join(draws, ", ")+")")
	f.drawTemperature = fs.Float64("draw-temperature", 1, "temperature T of the posterior draws μ + Tσε, in [0, 1] (1: the posterior; 0: its means; below 1: sharper samples, less varied)")
	f.seed = fs.Int64("seed", 1, "seed of the posterior draws and of the prior's fit")
	f.kinds = prior.DefineFitFlags(fs)
	return fs, f
}

// kindFlagsSynopsis lists each kind's own flags, a line per kind that has any.
func kindFlagsSynopsis() string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	kinds := prior.DefineFitFlags(fs)
	out := ""
	for _, k := range prior.KindNames() {
		if names := kinds.Of(k); len(names) > 0 {
			out += "\n       " + k + ": [--" + strings.Join(names, "] [--") + "]"
		}
	}
	return out
}

// runPriorFit fits a prior in the run's partial folder under the kind's
// lock (taken before the codes are encoded) and puts it in place whole.
// SIGINT or SIGTERM stops it with exit 130: a fit that saves checkpoints
// saves one for --resume, and nothing replaces the prior in place.
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
	w, err := prior.Begin(s.run.Dir, *f.kind, f.recipe.Resume())
	if err != nil {
		return err
	}
	defer w.Release()
	if err := f.checkResume(w, origin); err != nil {
		w.Abandon()
		return err
	}
	cfg := prior.Config{Kind: *f.kind, Draws: *f.draws, DrawTemperature: *f.drawTemperature, Seed: *f.seed}
	origin.Stamp(&cfg)
	fit := priorFit{s: s, w: w, recipe: f.recipe, cfg: cfg, stop: ctx.Done(), stdout: stdout, stderr: stderr}
	err = fit.run()
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

// checkResume refuses to continue a fit that is not this run checkpoint's,
// before the codes are encoded (the recipe's Ready refuses the rest).
func (f *priorFitFlags) checkResume(w *prior.Workspace, origin prior.Origin) error {
	if w.Saved == nil {
		return nil
	}
	if w.Saved.RunStep != origin.Step || (w.Saved.RunCheckpoint != "" && w.Saved.RunCheckpoint != origin.Checkpoint) {
		return fmt.Errorf("--resume: the fit in %s was begun on the run's checkpoint of step %d, the run is now at step %d: start a new fit (without --resume)",
			w.Dir, w.Saved.RunStep, origin.Step)
	}
	return nil
}

// priorFit is one `latent prior fit`, its lock held.
type priorFit struct {
	s              *session
	w              *prior.Workspace
	recipe         prior.Recipe
	cfg            prior.Config
	stop           <-chan struct{}
	stdout, stderr io.Writer
}

// run encodes the codes, fits the prior in the partial folder and commits it.
func (p *priorFit) run() error {
	start := time.Now()
	training, heldOut, err := p.s.priorCodes(p.cfg, p.w, p.recipe)
	if err != nil {
		return err
	}
	if stopped(p.stop) {
		return errPriorInterrupted
	}
	report, err := p.recipe.Fit(prior.Job{Backend: p.s.b, Workspace: p.w, Config: p.cfg, Training: training, HeldOut: heldOut,
		Start: start, Stop: p.stop, Progress: func(what string, steps int64) func(done, total int64, loss float64) {
			return fitProgress(p.stderr, what, steps)
		}})
	if err != nil {
		return err
	}
	if err := p.w.Commit(); err != nil {
		return err
	}
	fmt.Fprint(p.stdout, report)
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
	kind, ok := prior.Lookup(*f.kind)
	switch {
	case *f.run == "":
		return usagef("--run: a run folder is required")
	case *f.kind == "":
		return usagef("--kind: the prior to fit is required: %s", prior.Either(prior.KindNames()))
	case !ok:
		return usagef("--kind %q: want %s", *f.kind, prior.Either(prior.KindNames()))
	case *f.draws < 0:
		return usagef("--draws %d: want ≥ 1 (0: the default)", *f.draws)
	case !(*f.drawTemperature >= 0 && *f.drawTemperature <= 1):
		return usagef("--draw-temperature %g: want a value in [0, 1]", *f.drawTemperature)
	}
	if name, owner := f.kinds.Foreign(kind.Name, set); name != "" {
		return usagef("--%s is a %s prior's flag; --kind %s does not take it", name, owner, kind.Name)
	}
	f.recipe = f.kinds.Recipes[kind.Name]
	if err := f.recipe.Check(); err != nil {
		return usageErr(err)
	}
	if *f.draws == 0 {
		*f.draws = kind.Draws
	}
	return nil
}

// priorCodes returns cfg.Draws posterior draws of the codes of the run's
// training split, and one of its test split, with their labels, at cfg's
// temperature.
func (s *session) priorCodes(cfg prior.Config, w *prior.Workspace, recipe prior.Recipe) (training, heldOut prior.Codes, err error) {
	set, err := s.dataSet("", "data set")
	if err != nil {
		return training, heldOut, err
	}
	if err := recipe.Ready(w, cfg, codeCounts(cfg, set.Train.Labels, set.Train.N)); err != nil {
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

// codeCounts are the codes per class that cfg.Draws draws of n training
// images (with their labels) give: one count for an unconditional run.
func codeCounts(cfg prior.Config, labels []int, n int) []int {
	if cfg.Classes == 0 {
		return []int{n * cfg.Draws}
	}
	counts := make([]int, cfg.Classes)
	for _, y := range labels[:n] {
		counts[y] += cfg.Draws
	}
	return counts
}

// fitProgress reports a prior's fit of steps steps through stepProgress,
// with the step's loss on each line: one every tenth of the steps.
func fitProgress(stderr io.Writer, what string, steps int64) func(done, total int64, loss float64) {
	report := stepProgress(stderr, what, int(steps), int(max(steps/10, 1)))
	return func(done, total int64, loss float64) {
		report(int(done), int(total), fmt.Sprintf(", loss %.4f", loss))
	}
}

// defaultPriorSteps is the steps a prior that samples in steps takes.
const defaultPriorSteps = 50

// priorFlags are the flags of a command that draws random latents.
type priorFlags struct {
	name  *string
	steps *int
}

// addPriorFlags defines --prior and --prior-steps.
func addPriorFlags(fs *flag.FlagSet) priorFlags {
	return priorFlags{
		name: fs.String("prior", prior.Auto, "prior of the random latents: auto (the run's best fitted prior: "+bestFirst()+", else normal), "+
			"normal (N(0, I)), "+prior.Either(prior.KindNames())+" (fitted by latent prior fit)"),
		steps: fs.Int("prior-steps", defaultPriorSteps, "sampling steps of a fitted prior that samples in steps (DDIM)"),
	}
}

// bestFirst lists the kinds best first: "a, else b".
func bestFirst() string { return strings.Join(prior.Kinds(), ", else ") }

// check checks the flags' values.
func (p priorFlags) check() error {
	if !slices.Contains(prior.Names(), *p.name) {
		return usagef("--prior %q: want %s", *p.name, prior.Either(prior.Names()))
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
	c, kind, err := s.openSampler(*p.name, *p.steps, generate.BatchFor(n))
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	codes, err := c.Sample(n, seed, temperature, labels)
	return codes, kind, err
}

// openSampler opens the run's prior that name (a --prior value) names,
// sampling in steps steps where it takes steps and compiled for batches
// of batch codes, saying on stderr which prior it is and warning when it
// was fitted to an earlier checkpoint of the run. It returns the prior's
// name (auto resolved).
func (s *session) openSampler(name string, steps, batch int) (prior.Sampler, string, error) {
	kind, err := prior.Resolve(s.run.Dir, name)
	if errors.Is(err, prior.ErrNotFitted) {
		return nil, "", fmt.Errorf("--prior %s: %w", name, err)
	} else if err != nil {
		return nil, "", usageErr(err)
	}
	if kind == prior.Normal {
		if name == prior.Auto {
			fmt.Fprintf(s.stderr, "prior: normal (N(0, I)); fit a better one with `latent prior fit --run %s --kind KIND` (%s)\n",
				s.run.Dir, prior.Either(prior.KindNames()))
		}
		latent := s.cfg.Latent
		return prior.SamplerFunc(func(n int, seed int64, temperature float64, _ []int) ([]float32, error) {
			return generate.RandomLatents(n, latent, seed, temperature), nil
		}), kind, nil
	}
	saved, err := prior.Read(s.run.Dir, kind)
	if err != nil {
		return nil, "", fmt.Errorf("--prior %s: %w", kind, err)
	}
	origin, err := prior.OriginOf(s.run)
	if err != nil {
		return nil, "", fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	warning, err := origin.Check(saved.Config, saved.Ckpt.Path)
	if err != nil {
		return nil, "", fmt.Errorf("--prior %s: %w", kind, err)
	}
	fmt.Fprintf(s.stderr, "prior: %s, fitted at the run's step %d (--prior normal for N(0, I))\n", saved.Config.Describe(), saved.Config.RunStep)
	if warning != "" {
		fmt.Fprintln(s.stderr, warning)
	}
	c, err := saved.Open(s.b, prior.OpenOptions{Batch: batch, Steps: steps})
	if err != nil {
		return nil, "", fmt.Errorf("--prior %s: %w", kind, err)
	}
	return c, kind, nil
}
