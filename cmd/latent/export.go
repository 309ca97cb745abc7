package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/export"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// Values of --priors beside a list of kinds.
const (
	priorsAll  = "all"
	priorsNone = "none"
)

// exportCommand defines `latent export`'s flags on fs and returns its body, runExport.
func exportCommand(fs *pflag.FlagSet) runFunc {
	run := runFlag(fs)
	out := fs.StringP("o", "o", "model.safetensors", "output file: the weights and priors (.safetensors)")
	priors := fs.String("priors", priorsAll, "fitted priors written with the weights: all (every prior fitted to the run), none, "+
		"or a comma-separated list of "+prior.Either(prior.KindNames()))
	return func(args []string, stdout, stderr io.Writer) error {
		return runExport(fs, args, stdout, stderr, run, out, priors)
	}
}

// runExport implements `latent export`: the weights of a run's latest
// checkpoint, with its fitted priors, as a safetensors file, for use
// outside latent.
func runExport(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	run, out, priors *string) error {
	if _, err := parseRunOut(fs, args, run, out, "safetensors"); err != nil {
		return err
	}
	if *out == stdoutPath {
		return usagef("-o -: export writes a file, not stdout")
	}
	kinds, err := parsePriors(*priors)
	if err != nil {
		return err
	}
	if err := vae.CheckRunFolder(*run); err != nil {
		return err
	}
	if kinds, err = fittedPriors(*run, *priors, kinds); err != nil {
		return err
	}
	sum, err := export.Run(*run, *out, export.Options{Priors: kinds})
	if err != nil {
		return fmt.Errorf("--run: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d tensors, %d parameters, step %d, %d bytes\n",
		*out, sum.Tensors, sum.Params, sum.Step, sum.Bytes)
	for _, p := range sum.Priors {
		fmt.Fprintf(stdout, "  prior %s: %d tensors, %d parameters\n", p.Describe, p.Tensors, p.Params)
		if p.Warning != "" {
			fmt.Fprintln(stderr, p.Warning)
		}
	}
	return nil
}

// parsePriors reads a --priors value: nil for all, an empty list for none,
// else the kinds it lists, each once; an unknown kind is a usage error.
func parsePriors(v string) ([]string, error) {
	switch v {
	case priorsAll:
		return nil, nil
	case priorsNone:
		return []string{}, nil
	}
	var kinds []string
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if _, ok := prior.Lookup(k); !ok {
			return nil, usagef("--priors %s: unknown prior %q: want all, none or a comma-separated list of %s",
				v, k, prior.Either(prior.KindNames()))
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// fittedPriors returns the kinds to export from runDir: for all (kinds
// nil) every fitted one, the best last; else kinds, each of which must be
// fitted (an error naming the command that fits it).
func fittedPriors(runDir, value string, kinds []string) ([]string, error) {
	if kinds == nil {
		return slices.DeleteFunc(prior.Available(runDir), func(k string) bool { return k == prior.Normal }), nil
	}
	for _, k := range kinds {
		if _, err := prior.Resolve(runDir, k); err != nil {
			return nil, fmt.Errorf("--priors %s: %w", value, err)
		}
	}
	return kinds, nil
}
