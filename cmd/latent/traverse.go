package main

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"

	"github.com/latent-vae/latent/generate"
)

// runTraverse implements `latent traverse`: every latent dimension swept
// from −range to +range around a base code, one row per dimension, and
// optionally a GIF of the sweep.
func runTraverse(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("traverse", "--run DIR [-o traverse.png] [--steps 9] [--range 3] [--seed S | --index I] [--gif traverse.gif] [--fps 6] [--loop] [--scale 3] [--data SET] [--backend B]", stderr)
	common := genFlags(fs, "traverse.png")
	steps := fs.Int("steps", 9, "values per dimension, evenly spaced from −range to +range")
	span := fs.Float64("range", 3, "sweep each dimension from base−range to base+range")
	seed := fs.Int64("seed", 0, "base code drawn from N(0, T²I) with this seed (default base: the zero vector)")
	temperature := fs.Float64("temperature", 1, "standard deviation of a --seed base code")
	index := fs.Int("index", 0, "base code: the encoder mean of this test image")
	spec := fs.String("data", "", "data set for --index (default: the run's)")
	gifPath := fs.String("gif", "", "also write an animation of the sweep: frame t shows every dimension at step t")
	fps := fs.Int("fps", 6, "frames per second of --gif")
	loop := fs.Bool("loop", false, "--gif plays forward then back")
	if err := parseGenFlags(fs, args, common); err != nil {
		return err
	}
	set := flagsSet(fs)
	switch {
	case *steps < 2 || *steps > 1000:
		return fmt.Errorf("--steps %d: want 2 to 1000", *steps)
	case !(*span > 0) || math.IsInf(*span, 0):
		return fmt.Errorf("--range %v: want a finite value > 0", *span)
	case set["seed"] && set["index"]:
		return errors.New("--seed and --index choose different base codes: give one")
	case set["index"] && *index < 0:
		return fmt.Errorf("--index %d: must be >= 0", *index)
	case *fps < 1 || *fps > generate.MaxFPS:
		return fmt.Errorf("--fps %d: want 1 to %d", *fps, generate.MaxFPS)
	}
	if err := checkOutPath("--gif", *gifPath); err != nil {
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
	if m.Latent**steps > maxGenImages {
		return fmt.Errorf("--steps %d: %d latent dimensions × steps exceeds %d images", *steps, m.Latent, maxGenImages)
	}
	base := make([]float32, m.Latent)
	switch {
	case set["seed"]:
		base = generate.RandomLatents(1, m.Latent, *seed, *temperature)
	case set["index"]:
		if base, err = traverseBase(s, *spec, *index); err != nil {
			return err
		}
	}
	images, err := s.decode(generate.Traversal(base, *steps, *span))
	if err != nil {
		return err
	}
	var frames []image.Image
	if *gifPath != "" {
		frames = traverseFrames(images, m.Latent, *steps, m.Height, m.Width, m.Channels, *common.scale)
		if *loop {
			frames = generate.PingPong(frames)
		}
	}
	img := generate.Grid(images, m.Latent**steps, m.Height, m.Width, m.Channels, *steps, *common.scale)
	if err := generate.WritePNG(*common.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d dimensions × %d steps over ±%g, %dx%d pixels\n",
		*common.out, m.Latent, *steps, *span, img.Bounds().Dx(), img.Bounds().Dy())
	if *gifPath == "" {
		return nil
	}
	if err := generate.WriteGIF(*gifPath, frames, *fps); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d frames at %d fps\n", *gifPath, len(frames), *fps)
	return nil
}

// traverseBase is the encoder mean of test image index.
func traverseBase(s *session, spec string, index int) ([]float32, error) {
	test, err := s.testSplit(spec)
	if err != nil {
		return nil, err
	}
	if index >= test.N {
		return nil, fmt.Errorf("--index %d: out of range, the test split has %d images (0 to %d)", index, test.N, test.N-1)
	}
	return s.encode(test.Image(index))
}

// traverseFrames turns a traversal's images (dimension-major, steps per
// dimension) into one frame per step, each a grid of every dimension's
// image at that step.
func traverseFrames(images []float32, dims, steps, h, w, c, scale int) []image.Image {
	size := h * w * c
	frames := make([]image.Image, steps)
	for t := range steps {
		cells := make([]float32, 0, dims*size)
		for d := range dims {
			i := d*steps + t
			cells = append(cells, images[i*size:(i+1)*size]...)
		}
		frames[t] = generate.Grid(cells, dims, h, w, c, 0, scale)
	}
	return frames
}
