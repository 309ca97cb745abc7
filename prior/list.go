package prior

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/latent-vae/latent/rundir"
)

// ListRow is one fitted prior of `latent prior list`: what --json writes,
// a row of the table.
type ListRow struct {
	Kind     string   `json:"kind"`
	Size     string   `json:"size"`               // Describe
	Quality  *Quality `json:"quality"`            // null: fitted before fits were scored
	RunStep  int64    `json:"run_step"`           // the run's step it was fitted to
	RunSHA   string   `json:"run_checkpoint"`     // that checkpoint's SHA-256 ("": not recorded)
	Current  bool     `json:"matches_checkpoint"` // fitted to the run's current checkpoint
	Unusable bool     `json:"unusable,omitempty"` // this latent cannot open it (Kind.Usable): fit it again
	Problem  string   `json:"problem,omitempty"`  // why it does not draw for the run's checkpoint, or a warning
	AutoPick bool     `json:"auto"`               // --prior auto draws from it
}

// List returns the priors fitted to run, best first (the order --prior
// auto picks by), and the run checkpoint they are compared with.
func List(run *rundir.Run) (Origin, []ListRow, error) {
	origin, err := OriginOf(run)
	if err != nil {
		return Origin{}, nil, err
	}
	entries, err := Fits(run.Dir, &origin)
	if err != nil {
		return Origin{}, nil, err
	}
	Order(entries)
	rows := make([]ListRow, 0, len(entries))
	for i, e := range entries {
		cfg := e.Saved.Config
		r := ListRow{Kind: e.Kind, Size: cfg.Describe(), Quality: e.Quality, RunStep: cfg.RunStep, RunSHA: cfg.RunCheckpoint,
			Current: e.Mismatch == nil && cfg.RunStep == origin.Step, Unusable: e.Unusable != nil, Problem: e.Warning,
			AutoPick: i == 0 && e.Problem() == nil}
		if err := e.Problem(); err != nil {
			r.Problem = err.Error()
		}
		rows = append(rows, r)
	}
	return origin, rows, nil
}

// WriteList writes rows, the priors fitted to the run in runDir (now at
// origin), as `latent prior list` prints them: a table on stdout (its
// last column: yes or no, whether the prior was fitted to the run's
// current checkpoint, or unusable for one this latent cannot open), and on
// stderr what an unscored, mismatched or unusable prior needs.
func WriteList(stdout, stderr io.Writer, runDir string, origin Origin, rows []ListRow) error {
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "run %s has no fitted prior: fit one with `latent prior fit --run %s --kind KIND` (%s)\n",
			runDir, runDir, Either(KindNames()))
		return nil
	}
	fmt.Fprintf(stdout, "run %s at step %d (checkpoint sha %.12s); best first, as --prior auto picks:\n", runDir, origin.Step, origin.Checkpoint)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "auto\tprior\tFID\tprecision\trecall\ttemperature\tfit\tfitted to\tcurrent")
	for _, r := range rows {
		fid, prec, rec, temp, fit := "unscored", "-", "-", "-", "-"
		if q := r.Quality; q.Scored() {
			fid, prec, rec = fmt.Sprintf("%.4g", q.FID), fmt.Sprintf("%.3f", q.Precision), fmt.Sprintf("%.3f", q.Recall)
			temp = fmt.Sprintf("%g", q.SampleTemperature())
		}
		if r.Quality != nil && r.Quality.FitSeconds > 0 {
			fit = fmt.Sprintf("%.0fs", r.Quality.FitSeconds)
		}
		sha := "unrecorded"
		if r.RunSHA != "" {
			sha = fmt.Sprintf("%.12s", r.RunSHA)
		}
		current := map[bool]string{true: "yes", false: "no"}[r.Current]
		if r.Unusable {
			current = "unusable"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\tstep %d, sha %s\t%s\n", map[bool]string{true: "*"}[r.AutoPick], r.Size,
			fid, prec, rec, temp, fit, r.RunStep, sha, current)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		switch {
		case r.Unusable: // scoring it would fail: it needs a new fit, which Problem says
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
