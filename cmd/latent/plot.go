package main

import (
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// plotCommand defines `latent plot`'s flags on fs and returns its body:
// training and test negative ELBO, reconstruction and KL against step,
// from a run's metrics.csv.
func plotCommand(fs *pflag.FlagSet) cli.RunFunc {
	run := runFlag(fs)
	out := cli.OutFlag(fs, "curves.png", "the curves", plots.Formats()...)
	return func(_ []string, stdout, stderr io.Writer) error {
		format, err := checkRunOut(*run, *out, plots.Formats()...)
		if err != nil {
			return err
		}
		if err := vae.CheckRunFolder(*run); err != nil {
			return err
		}
		m, err := plots.ReadMetrics(filepath.Join(*run, rundir.MetricsFile))
		if err != nil {
			return err
		}
		fig, err := plots.Curves(m, filepath.Base(filepath.Clean(*run)), format)
		if err != nil {
			return err
		}
		if err := cli.WriteBytes(*out, stdout, fig); err != nil {
			return err
		}
		steps := m.Columns["step"].Values
		cli.Wrote(*out, stdout, stderr, "%d rows of %s, steps %g to %g, %d test evaluations", len(steps),
			m.Path, steps[0], steps[len(steps)-1], len(m.Columns["test_neg_elbo"].Values))
		return nil
	}
}
