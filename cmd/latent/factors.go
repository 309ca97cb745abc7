package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/vae"
)

// factorsLong is the help of `latent factors` after its synopsis.
const factorsLong = "  the disentanglement metrics of disentanglement_lib on the run's posterior means (docs/factors.md);\n" +
	"  the defaults are its sample counts: lower --train, --eval and --vote-batch for a quick look"

// factorsCommand defines `latent factors`'s flags on fs and returns its
// body: vae.Session.Factors, printed as a table or JSON, with the
// dimension × factor mutual information drawn to -o.
func factorsCommand(fs *pflag.FlagSet) cli.RunFunc {
	run, back := runFlag(fs), backendFlag(fs)
	spec := runDataFlag(fs, "data set whose factors the codes are scored against")
	out := cli.OutFlag(fs, "", "the dimension × factor mutual information as a figure (none when not given)", plots.Formats()...)
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	o := vae.DefaultFactorOptions()
	fs.IntVar(&o.Train, "train", o.Train, "images of MIG and of SAP's and DCI's training; train votes (and variance images) of the FactorVAE score; train points of the BetaVAE score")
	fs.IntVar(&o.Eval, "eval", o.Eval, "test images of SAP and DCI; eval votes and points of the FactorVAE and BetaVAE scores")
	fs.IntVar(&o.Batch, "vote-batch", o.Batch, "images per FactorVAE vote and image pairs per BetaVAE point")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed of every draw of images and factors")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := needRun(*run); err != nil {
			return err
		}
		format := ""
		if *out != "" {
			var err error
			if format, err = cli.CheckOut("-o", *out, ownFile, plots.Formats()...); err != nil {
				return err
			}
			if *out == cli.Stdout && *asJSON {
				return cli.Usagef("-o - and --json both write to stdout: give one")
			}
		}
		o.Data = *spec.spec
		if err := o.Check(); err != nil {
			return err
		}
		s, err := spec.open(*run, *back, stderr)
		if err != nil {
			return err
		}
		defer s.Close()
		r, err := s.Factors(o)
		if err != nil {
			return err
		}
		if format != "" {
			if err := writeFactorFigure(r, *out, format, stdout, stderr); err != nil {
				return err
			}
		}
		w := cli.SummaryTo(*out, stdout, stderr)
		if *asJSON {
			return writeJSON(w, r)
		}
		return r.WriteText(w)
	}
}

// writeFactorFigure draws r's mutual-information matrix to out.
func writeFactorFigure(r *vae.FactorReport, out, format string, stdout, stderr io.Writer) error {
	fig, err := r.MIFigure().Draw(format)
	if err != nil {
		return err
	}
	if err := cli.WriteBytes(out, stdout, fig); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: the mutual information of %d dimensions × %d factors\n", cli.OutName(out), r.Dimensions, len(r.Factors))
	return nil
}
