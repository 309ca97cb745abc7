package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// runPlot implements `latent plot`: training and test negative ELBO,
// reconstruction and KL against step, from a run's metrics.csv.
func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", "--run DIR [-o curves.png|curves.svg|curves.pdf]", stderr)
	run := runFlag(fs)
	out := outFlag(fs, "curves.png", "the curves", plots.Formats()...)
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
