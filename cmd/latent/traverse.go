package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// traverseArgs are the parsed flags of `latent traverse`.
type traverseArgs struct {
	common     genCommon
	opts       vae.TraverseOptions
	fps        int
	gif        string
	spec       runDataFlags
	label      *string
	prior      priorFlags // of a --seed base code
	imageLabel *string    // the base image by class: the which-th test image of it
	which      *int
	loop       bool
}

// traverseLong is the help of `latent traverse` after its synopsis.
const traverseLong = "  base code: --index I | --image-label L [--which N] | --seed S [--temperature T] [--prior P]"

// traverseCommand defines `latent traverse`'s flags on fs and returns its body, runTraverse.
func traverseCommand(fs *pflag.FlagSet) cli.RunFunc {
	parse := traverseFlags(fs)
	return func(_ []string, stdout, stderr io.Writer) error { return runTraverse(parse, stdout, stderr) }
}

// runTraverse implements `latent traverse` (vae.Session.Sweep): every
// latent dimension swept from −range to +range around a base code, one row
// per dimension, rows in decreasing order of their KL, labelled with the
// dimension, its KL and each column's offset; optionally a GIF of the sweep.
func runTraverse(parse func() (*traverseArgs, error), stdout, stderr io.Writer) error {
	a, err := parse()
	if err != nil {
		return err
	}
	s, err := a.spec.open(*a.common.run, *a.common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	tr, err := s.Sweep(a.opts)
	if err != nil {
		return err
	}
	img := tr.Grid(*a.common.scale)
	if err := cli.WritePNG(*a.common.out, stdout, img); err != nil {
		return err
	}
	summary := cli.SummaryTo(*a.common.out, stdout, stderr)
	cli.Wrote(*a.common.out, stdout, stderr, "%s, %dx%d pixels", a.opts.Describe(tr), img.Bounds().Dx(), img.Bounds().Dy())
	if tr.KL != nil {
		fmt.Fprintf(summary, "rows: %s\n", tr.Rows())
	}
	if a.gif == "" {
		return nil
	}
	frames := tr.Frames(*a.common.scale)
	if a.loop {
		frames = generate.PingPong(frames)
	}
	if err := writeGIF(a.gif, stdout, frames, a.fps); err != nil {
		return err
	}
	fmt.Fprintf(summary, "wrote %s: %d frames at %d fps\n", a.gif, len(frames), a.fps)
	return nil
}

// traverseFlags defines the flags of `latent traverse` on fs and returns
// their parser, which checks them.
func traverseFlags(fs *pflag.FlagSet) func() (*traverseArgs, error) {
	a := &traverseArgs{common: genFlags(fs, "traverse.png")}
	o, b := &a.opts, &a.opts.Base
	fs.IntVar(&o.Steps, "steps", 9, "values per dimension, evenly spaced from −range to +range")
	fs.Float64Var(&o.Span, "range", 3, "sweep each dimension from base−range to base+range (a vq run's codes have no range: refused)")
	fs.IntVar(&b.Index, "index", 0, "base code: the encoder mean of this test image (the default base)")
	fs.Int64Var(&b.Seed, "seed", 0, "base code drawn from the prior (--prior; N(0, T²I) for normal) with this seed instead (--temperature 0: the zero vector under normal)")
	temperatureFlag(fs, &b.Temperature, "standard deviation of a --seed base code")
	a.prior = addPriorFlags(fs)
	a.spec = runDataFlag(fs, "data set of the base image and of the KL that orders the rows")
	fs.StringVar(&o.Cell, "cell", "", "a vq run: the grid cell ROW,COL (from 0) set to each of the --steps codes the test split uses most, for 4 base grids (default: the centre)")
	fs.StringVar(&o.Order, "order", vae.OrderKL, "row order: kl (largest mean KL over the first 1000 test images first) or dim (z1 first); a vq run's codes: use (most used first, its default) or index")
	fs.StringVar(&a.gif, "gif", "", "also write an animation of the sweep to this .gif file: frame t shows every dimension at step t")
	fs.IntVar(&a.fps, "fps", 6, "frames per second of --gif")
	fs.BoolVar(&a.loop, "loop", false, "--gif plays forward then back")
	a.label = labelFlag(fs, "class the sweep is decoded as (default: the base image's label)")
	a.imageLabel = imageLabelFlag(fs, "base code: the encoder mean of")
	a.which = whichFlag(fs)
	return func() (*traverseArgs, error) {
		if err := a.common.check(); err != nil {
			return nil, err
		}
		b.Prior, b.PriorSteps, b.Data = *a.prior.name, *a.prior.steps, *a.spec.spec
		b.ImageLabel, b.Which, b.Label, o.Scale = *a.imageLabel, *a.which, *a.label, *a.common.scale
		if err := o.Choose(cli.Given(fs)); err != nil {
			return nil, err
		}
		if err := vae.CheckFPS(a.fps); err != nil {
			return nil, err
		}
		if err := cli.CheckSideOut("--gif", a.gif, ownFile, cli.FormatGIF); err != nil {
			return nil, err
		}
		return a, a.opts.Check()
	}
}
