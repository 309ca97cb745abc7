package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/export"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// exportCommand defines `latent export`'s flags on fs and returns its body, runExport.
func exportCommand(fs *pflag.FlagSet) cli.RunFunc {
	run := runFlag(fs)
	out := fs.StringP("o", "o", "model.safetensors", "output file: the weights and priors (.safetensors)")
	priors := fs.String("priors", export.PriorsAll, "fitted priors written with the weights: all (every prior fitted to the run), none, "+
		"or a comma-separated list of "+suggest.Either(prior.KindNames()))
	return func(_ []string, stdout, stderr io.Writer) error {
		return runExport(stdout, stderr, *run, *out, *priors)
	}
}

// runExport implements `latent export`: the weights of a run's latest
// checkpoint, with its fitted priors (--priors), as a safetensors file,
// for use outside latent.
func runExport(stdout, stderr io.Writer, run, out, priors string) error {
	if _, err := checkRunOut(run, out, "safetensors"); err != nil {
		return err
	}
	if out == cli.Stdout {
		return cli.Usagef("-o -: export writes a file, not stdout")
	}
	kinds, err := export.ParsePriors(priors)
	if err != nil {
		return cli.UsageErr(err)
	}
	if err := vae.CheckRunFolder(run); err != nil {
		return err
	}
	all := kinds == nil
	if kinds, err = export.FittedPriors(run, priors, kinds); err != nil {
		return err
	}
	if all {
		for _, k := range export.Unexported(run) {
			fmt.Fprintf(stderr, "not exported: the %s prior (latent cannot export one; latent itself samples it)\n", k)
		}
	}
	sum, err := export.Run(run, out, export.Options{Priors: kinds})
	if err != nil {
		return fmt.Errorf("--run: %w", err)
	}
	fmt.Fprint(stdout, sum.Report(out))
	for _, p := range sum.Priors {
		if p.Warning != "" {
			fmt.Fprintln(stderr, p.Warning)
		}
	}
	return nil
}
