package main

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/generate"
)

// runSample implements `latent sample`: a grid of images decoded from
// latents drawn from N(0, T²I).
func runSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample", "--run DIR [-n 64] [--seed S] [--temperature T] [-o samples.png] [--scale 3] [--backend B]", stderr)
	common := genFlags(fs, "samples.png")
	n := fs.Int("n", 64, "number of samples")
	seed := fs.Int64("seed", 1, "seed of the latents")
	temperature := fs.Float64("temperature", 1, "standard deviation of the latents")
	if err := parseGenFlags(fs, args, common); err != nil {
		return err
	}
	if err := checkCount("-n", *n); err != nil {
		return err
	}
	if err := checkTemperature(*temperature); err != nil {
		return err
	}
	s, err := openSession(*common.run, *common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.close()
	m := s.cfg
	if err := checkGridSize(*n, m.Height, m.Width, *common.scale, "-n and --scale"); err != nil {
		return err
	}
	images, err := s.decode(generate.RandomLatents(*n, m.Latent, *seed, *temperature))
	if err != nil {
		return err
	}
	img := generate.Grid(images, *n, m.Height, m.Width, m.Channels, 0, *common.scale)
	if err := writePNG(*common.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*common.out, stdout, stderr), "wrote %s: %d samples at temperature %g, %dx%d pixels\n",
		outName(*common.out), *n, *temperature, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}
