package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// priorListCommand defines `latent prior list`'s flags on fs and returns
// its body: each fitted prior of a run with its stored score, its fit's
// time and the checkpoint it was fitted to, best first (the order --prior
// auto picks by).
func priorListCommand(fs *pflag.FlagSet) cli.RunFunc {
	runDir := runFlag(fs)
	_ = backendFlag(fs) // taken as every run command takes it; a list compiles nothing
	asJSON := fs.Bool("json", false, "write the list as JSON")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := needRun(*runDir); err != nil {
			return err
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
			return writeJSON(stdout, rows)
		}
		return prior.WriteList(stdout, stderr, run.Dir, origin, rows)
	}
}

// priorScoreCommand defines `latent prior score`'s flags on fs and returns
// its body: a fitted prior scored in place as its fit scores it (a prior
// fitted before fits were scored), its score stored for --prior auto and
// prior list.
func priorScoreCommand(fs *pflag.FlagSet) cli.RunFunc {
	runDir, backend := runFlag(fs), backendFlag(fs)
	kind := fs.String("kind", "", "the fitted prior to score: "+suggest.Either(prior.KindNames()))
	cli.Required(fs, "kind")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := needRun(*runDir); err != nil {
			return err
		}
		if err := vae.CheckFitted(*runDir, *kind); err != nil {
			return err
		}
		s, err := vae.Open(*runDir, *backend, stderr)
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
}

// writeJSON writes v to w as indented JSON, as --json prints.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
