package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// priorListCommand defines `latent prior list`'s flags on fs and returns its body, runPriorList.
func priorListCommand(fs *pflag.FlagSet) runFunc {
	runDir := runFlag(fs)
	_ = backendFlag(fs) // taken as every run command takes it; a list compiles nothing
	asJSON := fs.Bool("json", false, "write the list as JSON")
	return func(args []string, stdout, stderr io.Writer) error {
		return runPriorList(fs, args, stdout, stderr, runDir, asJSON)
	}
}

// runPriorList implements `latent prior list`: each fitted prior of a run
// with its stored score, its fit's time and the checkpoint it was fitted
// to, best first (the order --prior auto picks by).
func runPriorList(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	runDir *string, asJSON *bool) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *runDir == "" {
		return usagef("--run: a run folder is required")
	}
	run, err := rundir.Load(*runDir)
	if err != nil {
		return fmt.Errorf("--run %s: %w", *runDir, err)
	}
	origin, rows, err := prior.List(run)
	if err != nil {
		return fmt.Errorf("--run %s: %w", *runDir, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return prior.WriteList(stdout, stderr, run.Dir, origin, rows)
}

// priorScoreCommand defines `latent prior score`'s flags on fs and returns its body, runPriorScore.
func priorScoreCommand(fs *pflag.FlagSet) runFunc {
	runDir, backend := runFlag(fs), backendFlag(fs)
	kind := fs.String("kind", "", "the fitted prior to score: "+prior.Either(prior.KindNames()))
	required(fs, "kind")
	return func(args []string, stdout, stderr io.Writer) error {
		return runPriorScore(fs, args, stdout, stderr, runDir, backend, kind)
	}
}

// runPriorScore implements `latent prior score`: a fitted prior scored in
// place as its fit scores it (a prior fitted before fits were scored), its
// score stored for --prior auto and prior list.
func runPriorScore(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	runDir, backend, kind *string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *runDir == "" {
		return usagef("--run: a run folder is required")
	}
	if err := vae.CheckFitted(*runDir, *kind); err != nil {
		return err
	}
	s, err := openSession(*runDir, *backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	q, err := s.ScorePrior(*kind)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, vae.QualityLine(q))
	return nil
}
