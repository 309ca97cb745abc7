package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// reconstructCommand defines `latent reconstruct`'s flags on fs and returns its body, runReconstruct.
func reconstructCommand(fs *pflag.FlagSet) cli.RunFunc {
	common := genFlags(fs, "recon.png")
	o := &vae.ReconOptions{}
	spec := runDataFlag(fs, "data set whose test images to reconstruct")
	fs.IntVarP(&o.N, "n", "n", 32, "number of test images, the first of each class in turn (as latent data -o shows); more than 16 wrap into further pairs of rows")
	fs.BoolVar(&o.First, "first", false, "take the first -n images of the test split instead of picking across its classes")
	fs.BoolVar(&o.Numbers, "numbers", false, "caption each column with its test image's index and label (index:label)")
	return func(_ []string, stdout, stderr io.Writer) error {
		o.Data, o.Scale = *spec.spec, *common.scale
		return runReconstruct(stdout, stderr, common, spec, *o)
	}
}

// runReconstruct implements `latent reconstruct` (vae.Session.Reconstruction):
// test images over their reconstructions (encoder mean, decoded, mean image).
func runReconstruct(stdout, stderr io.Writer, common genCommon, d runDataFlags, o vae.ReconOptions) error {
	if err := common.check(); err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return err
	}
	s, err := d.open(*common.run, *common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	img, err := s.Reconstruction(o)
	if err != nil {
		return err
	}
	return common.writePNG(img, stdout, stderr, o.Describe(img))
}
