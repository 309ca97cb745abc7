package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/vae"
)

// reconstructCommand defines `latent reconstruct`'s flags on fs and returns its body, runReconstruct.
func reconstructCommand(fs *pflag.FlagSet) runFunc {
	common := genFlags(fs, "recon.png")
	spec := runDataFlag(fs, "data set whose test images to reconstruct")
	n := fs.IntP("n", "n", 32, "number of test images, the first of each class in turn (as latent data -o shows); more than 16 wrap into further pairs of rows")
	first := fs.Bool("first", false, "take the first -n images of the test split instead of picking across its classes")
	numbers := fs.Bool("numbers", false, "caption each column with its test image's index and label (index:label)")
	return func(args []string, stdout, stderr io.Writer) error {
		return runReconstruct(fs, args, stdout, stderr, common, spec, n, first, numbers)
	}
}

// runReconstruct implements `latent reconstruct`: test images over their
// reconstructions (encoder mean, decoded, mean image).
func runReconstruct(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	common genCommon, spec *string, n *int, first, numbers *bool) error {
	if err := parseGenFlags(fs, args, common); err != nil {
		return err
	}
	if err := vae.CheckCount("-n", *n); err != nil {
		return err
	}
	s, err := openSession(*common.run, *common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	set, err := s.TestSet(*spec)
	if err != nil {
		return err
	}
	test := set.Test
	if *n > test.N {
		return fmt.Errorf("-n %d: the test split has only %d images", *n, test.N)
	}
	m := s.cfg
	if err := vae.CheckGridSize(vae.ReconCells(*n), m.Height, m.Width, *common.scale, "-n and --scale"); err != nil {
		return err
	}
	img, err := s.ReconGrid(set, test, vae.ReconPick(test, *n, *first), *numbers, *common.scale)
	if err != nil {
		return err
	}
	if err := writePNG(*common.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*common.out, stdout, stderr), "wrote %s: %d test images (%s; rows labelled input) over their reconstructions (recon), %dx%d pixels\n",
		outName(*common.out), *n, reconPicking(*first), img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// reconPicking says how reconPick picked.
func reconPicking(first bool) string {
	if first {
		return "the first of the test split"
	}
	return "the first of each class in turn; --first: the first of the split"
}
