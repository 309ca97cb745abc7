package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// plotCommand defines `latent plot`'s flags on fs and returns its body, runPlot.
func plotCommand(fs *pflag.FlagSet) runFunc {
	run := runFlag(fs)
	out := outFlag(fs, "curves.png", "the curves", plots.Formats()...)
	return func(args []string, stdout, stderr io.Writer) error {
		return runPlot(fs, args, stdout, stderr, run, out)
	}
}

// runPlot implements `latent plot`: training and test negative ELBO,
// reconstruction and KL against step, from a run's metrics.csv.
func runPlot(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	run, out *string) error {
	format, err := parseRunOut(fs, args, run, out, plots.Formats()...)
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
	if err := writeBytes(*out, stdout, fig); err != nil {
		return err
	}
	steps := m.Columns["step"].Values
	fmt.Fprintf(summaryTo(*out, stdout, stderr), "wrote %s: %d rows of %s, steps %g to %g, %d test evaluations\n", outName(*out), len(steps),
		m.Path, steps[0], steps[len(steps)-1], len(m.Columns["test_neg_elbo"].Values))
	return nil
}
