package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// priorFitFlags are `latent prior fit`'s flags: the ones every kind takes
// (a prior.Config's), and each kind's own (prior.DefineFitFlags).
type priorFitFlags struct {
	run, backend *string
	cfg          prior.Config // --kind, --draws, --draw-temperature, --seed; completed once checked
	kinds        *prior.FitFlags
	recipe       prior.Recipe // --kind's, once checked
}

// definePriorFit defines `latent prior fit`'s flags on fs: --kind is
// required, and each kind's own flags (a flag.FlagSet of prior's) are
// added to fs.
func definePriorFit(fs *pflag.FlagSet) *priorFitFlags {
	f := &priorFitFlags{run: runFlag(fs), backend: backendFlag(fs)}
	var kinds, draws []string
	for _, k := range prior.Registered() {
		kinds = append(kinds, fmt.Sprintf("%s (%s)", k.Name, k.Help))
		draws = append(draws, fmt.Sprintf("%d for %s", k.Draws, k.Name))
	}
	fs.StringVar(&f.cfg.Kind, "kind", "", "the prior to fit: "+suggest.Either(kinds))
	fs.IntVar(&f.cfg.Draws, "draws", 0, "posterior draws per training image (default: "+strings.Join(draws, ", ")+")")
	fs.Float64Var(&f.cfg.DrawTemperature, "draw-temperature", 1, "temperature T of the posterior draws μ + Tσε, in [0, 1] (1: the posterior; 0: its means; below 1: sharper samples, less varied)")
	fs.Int64Var(&f.cfg.Seed, "seed", 1, "seed of the posterior draws and of the prior's fit")
	cli.Required(fs, "kind")
	kindFlags := flag.NewFlagSet("", flag.ContinueOnError)
	f.kinds = prior.DefineFitFlags(kindFlags)
	fs.AddGoFlagSet(kindFlags)
	return f
}

// kindFlagsSynopsis lists each kind's own flags, a line per kind that has
// any (prior.FitFlags.Synopsis).
func kindFlagsSynopsis() string {
	return prior.DefineFitFlags(flag.NewFlagSet("", flag.ContinueOnError)).Synopsis()
}

// priorFitCommand defines `latent prior fit`'s flags on fs and returns its
// body, runPriorFit.
func priorFitCommand(fs *pflag.FlagSet) cli.RunFunc {
	f := definePriorFit(fs)
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := f.check(cli.Given(fs)); err != nil {
			return err
		}
		return runPriorFit(f, stdout, stderr)
	}
}

// runPriorFit fits a prior in the run's partial folder under the kind's
// lock (vae.Session.FitRunPrior) and puts it in place whole.
// SIGINT or SIGTERM stops it with exit 130: a fit that saves checkpoints
// saves one for --resume, and nothing replaces the prior in place.
func runPriorFit(f *priorFitFlags, stdout, stderr io.Writer) error {
	s, err := vae.Open(*f.run, *f.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, w, err := s.FitRunPrior(f.recipe, f.cfg, ctx.Done())
	var interrupted *prior.InterruptedError
	switch {
	case errors.As(err, &interrupted) && interrupted.Done > 0:
		fmt.Fprintf(stderr, "latent prior fit: %v; the prior in use is unchanged, the fit so far is in %s: continue it with `latent prior fit --run %s --kind %s --resume --steps %d`\n",
			err, w.Dir, s.Run.Dir, w.Kind, interrupted.Steps)
		return cli.Exit(130)
	case errors.As(err, &interrupted), errors.Is(err, vae.ErrInterrupted):
		fmt.Fprintf(stderr, "latent prior fit: interrupted before the fit began; nothing was replaced\n")
		return cli.Exit(130)
	case err != nil:
		return err
	}
	fmt.Fprint(stdout, report)
	return nil
}

// check checks the flags' values and completes f (vae.PrepareFitFlags);
// set holds the flags given.
func (f *priorFitFlags) check(set map[string]bool) error {
	if err := needRun(*f.run); err != nil {
		return err
	}
	var err error
	f.recipe, f.cfg, err = vae.PrepareFitFlags(f.kinds, f.cfg, set)
	return err
}

// priorFlags are the flags of a command that draws random latents.
type priorFlags struct {
	name  *string
	steps *int
	topK  *int
}

// addPriorFlags defines --prior and --prior-steps.
func addPriorFlags(fs *pflag.FlagSet) priorFlags {
	return priorFlags{
		name: fs.String("prior", prior.Auto, "prior of the random latents: auto (the fitted prior of the lowest FID measured at fit; unscored ones after, "+bestFirst()+"; else normal), "+
			"normal (N(0, I); uniform, every code alike, for a grid of discrete codes), "+suggest.Either(prior.KindNames())+" (fitted by latent prior fit)"),
		steps: fs.Int("prior-steps", vae.DefaultPriorSteps, "sampling steps of a fitted prior that samples in steps (DDIM)"),
		topK:  topKFlag(fs),
	}
}

// temperatureFlag defines --temperature into t, what the temperature is
// of; not given, each prior draws at the temperature its fit chose.
func temperatureFlag(fs *pflag.FlagSet, t *float64, what string) {
	fs.Float64Var(t, "temperature", prior.ChosenTemperature, what+" (default: the temperature the prior's fit chose by FID, which latent prior list shows; 1 for N(0, I); −1 asks for it too)")
	fs.Lookup("temperature").DefValue = ""
}

// topKFlag defines --top-k.
func topKFlag(fs *pflag.FlagSet) *int {
	return fs.Int("top-k", 0, "a prior over a grid of discrete codes draws each code from its K most likely (0: from every code)")
}

// checkTopK checks --top-k.
func checkTopK(k int) error {
	if k < 0 {
		return cli.Usagef("--top-k %d: want ≥ 0 (0: every code)", k)
	}
	return nil
}

// bestFirst lists the kinds best first: "a, else b".
func bestFirst() string { return strings.Join(prior.Kinds(), ", else ") }

// check checks the flags' values.
func (p priorFlags) check() error {
	if err := vae.CheckPrior(*p.name, *p.steps); err != nil {
		return err
	}
	return checkTopK(*p.topK)
}
