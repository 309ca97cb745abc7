package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// priorListRow is one fitted prior of `latent prior list`: what --json
// writes, a row of the table.
type priorListRow struct {
	Kind     string         `json:"kind"`
	Size     string         `json:"size"`               // Describe
	Quality  *prior.Quality `json:"quality"`            // null: fitted before fits were scored
	RunStep  int64          `json:"run_step"`           // the run's step it was fitted to
	RunSHA   string         `json:"run_checkpoint"`     // that checkpoint's SHA-256 ("": not recorded)
	Current  bool           `json:"matches_checkpoint"` // fitted to the run's current checkpoint
	Problem  string         `json:"problem,omitempty"`  // why it does not draw for the run's checkpoint, or a warning
	AutoPick bool           `json:"auto"`               // --prior auto draws from it
}

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
	origin, err := prior.OriginOf(run)
	if err != nil {
		return fmt.Errorf("--run %s: %w", *runDir, err)
	}
	entries, err := prior.Fits(run.Dir, &origin)
	if err != nil {
		return fmt.Errorf("--run %s: %w", *runDir, err)
	}
	prior.Order(entries)
	rows := make([]priorListRow, 0, len(entries))
	for i, e := range entries {
		cfg := e.Saved.Config
		r := priorListRow{Kind: e.Kind, Size: cfg.Describe(), Quality: e.Quality, RunStep: cfg.RunStep, RunSHA: cfg.RunCheckpoint,
			Current: e.Mismatch == nil && cfg.RunStep == origin.Step, Problem: e.Warning, AutoPick: i == 0 && e.Mismatch == nil}
		if e.Mismatch != nil {
			r.Problem = e.Mismatch.Error()
		}
		rows = append(rows, r)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return writePriorList(stdout, stderr, run.Dir, origin, rows)
}

// writePriorList writes rows as a table on stdout, and on stderr what an
// unscored or mismatched prior needs.
func writePriorList(stdout, stderr io.Writer, runDir string, origin prior.Origin, rows []priorListRow) error {
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "run %s has no fitted prior: fit one with `latent prior fit --run %s --kind KIND` (%s)\n",
			runDir, runDir, prior.Either(prior.KindNames()))
		return nil
	}
	fmt.Fprintf(stdout, "run %s at step %d (checkpoint sha %.12s); best first, as --prior auto picks:\n", runDir, origin.Step, origin.Checkpoint)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "auto\tprior\tFID\tprecision\trecall\tfit\tfitted to\tcurrent")
	for _, r := range rows {
		fid, prec, rec, fit := "unscored", "-", "-", "-"
		if q := r.Quality; q.Scored() {
			fid, prec, rec = fmt.Sprintf("%.4g", q.FID), fmt.Sprintf("%.3f", q.Precision), fmt.Sprintf("%.3f", q.Recall)
		}
		if r.Quality != nil && r.Quality.FitSeconds > 0 {
			fit = fmt.Sprintf("%.0fs", r.Quality.FitSeconds)
		}
		sha := "unrecorded"
		if r.RunSHA != "" {
			sha = fmt.Sprintf("%.12s", r.RunSHA)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\tstep %d, sha %s\t%s\n", map[bool]string{true: "*"}[r.AutoPick], r.Size,
			fid, prec, rec, fit, r.RunStep, sha, map[bool]string{true: "yes", false: "no"}[r.Current])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		switch {
		case r.Quality == nil:
			fmt.Fprintf(stderr, "%s: unscored, fitted before latent scored its fits, so ranked after the scored ones: score it with `latent prior score --run %s --kind %s`\n",
				r.Kind, runDir, r.Kind)
		case !r.Quality.Scored():
			fmt.Fprintf(stderr, "%s: unscored: %s\n", r.Kind, r.Quality.Unscored)
		}
		if r.Problem != "" {
			fmt.Fprintf(stderr, "%s: %s\n", r.Kind, r.Problem)
		}
	}
	return nil
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
	switch _, ok := prior.Lookup(*kind); {
	case *runDir == "":
		return usagef("--run: a run folder is required")
	case !ok:
		return usagef("--kind %q: want %s", *kind, prior.Either(prior.KindNames()))
	}
	if !prior.Fitted(*runDir, *kind) {
		return fmt.Errorf("--kind %s: run %s has no %s prior; fit one with `latent prior fit --run %s --kind %s`",
			*kind, *runDir, *kind, *runDir, *kind)
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
