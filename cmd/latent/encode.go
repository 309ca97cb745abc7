package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// encodeCommand defines `latent encode`'s flags on fs and returns its body, runEncode.
func encodeCommand(fs *pflag.FlagSet) cli.RunFunc {
	runDir, dataSpec, backend := runFlag(fs), runDataFlag(fs, "data set to encode"), backendFlag(fs)
	o := &vae.EncodeOptions{}
	fs.StringVar(&o.Split, "split", "train", "split to encode: train or test")
	fs.IntVar(&o.Limit, "limit", 0, "encode only the first N images of the split (0: all)")
	fs.IntVar(&o.Batch, "batch", eval.DefaultBatch, "images per graph call, which bounds memory")
	out := cli.OutFlag(fs, "codes.npz", "the codes: .npz holds mean, logvar (a discrete latent: indices), labels "+
		"and any factors with factor_names; .npy the means (indices) alone", formatNPZ, formatNPY)
	return func(_ []string, stdout, stderr io.Writer) error {
		return runEncode(stdout, stderr, *runDir, dataSpec, *backend, *o, *out)
	}
}

// runEncode implements `latent encode` (vae.Session.EncodeSplit): a
// split's posterior codes with their labels and factors as numpy arrays,
// the hand-off to numpy, scikit-learn and PyTorch.
func runEncode(stdout, stderr io.Writer, runDir string, d runDataFlags, backend string, o vae.EncodeOptions, out string) error {
	format, err := checkRunOut(runDir, out, formatNPZ, formatNPY)
	if err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	s, err := d.open(runDir, backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	set, err := s.DataSet(*d.spec, "--data")
	if err != nil {
		return err
	}
	codes, err := s.EncodeSplit(set, o)
	if err != nil {
		return err
	}
	arrays := codes.Arrays()
	if format == formatNPY {
		arrays = arrays[:1]
	}
	err = cli.WriteOutput(out, stdout, func(w io.Writer) error {
		if format == formatNPY {
			return generate.EncodeArray(w, arrays[0])
		}
		return generate.EncodeNPZ(w, arrays...)
	})
	if err != nil {
		return err
	}
	w := cli.SummaryTo(out, stdout, stderr)
	fmt.Fprintf(w, "wrote %s: %d %s images of %s\n", cli.OutName(out), codes.N, o.Split, set.Name)
	for _, a := range arrays {
		fmt.Fprintf(w, "  %-12s %s %v\n", a.Name, a.Descr, a.Shape)
	}
	return nil
}
