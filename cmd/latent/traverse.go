package main

import (
	"fmt"
	"io"
	"math"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/vae"
)

// traverseArgs are the parsed flags of `latent traverse`.
type traverseArgs struct {
	common            genCommon
	steps, index, fps int
	span, temperature float64
	seed              int64
	order, gif        string
	spec              *string
	label             *string
	prior             priorFlags // of a --seed base code
	imageLabel        *string    // the base image by class: the which-th test image of it
	which             *int
	loop, seeded      bool
}

// traverseLong is the help of `latent traverse` after its synopsis.
const traverseLong = "  base code: --index I | --image-label L [--which N] | --seed S [--temperature T] [--prior P]"

// traverseCommand defines `latent traverse`'s flags on fs and returns its body, runTraverse.
func traverseCommand(fs *pflag.FlagSet) runFunc {
	parse := traverseFlags(fs)
	return func(args []string, stdout, stderr io.Writer) error { return runTraverse(parse, args, stdout, stderr) }
}

// runTraverse implements `latent traverse`: every latent dimension swept
// from −range to +range around a base code, one row per dimension, rows in
// decreasing order of their KL, labelled with the dimension, its KL and
// each column's offset; optionally a GIF of the sweep.
func runTraverse(parse func(args []string) (*traverseArgs, error), args []string, stdout, stderr io.Writer) error {
	a, err := parse(args)
	if err != nil {
		return err
	}
	s, err := openSession(*a.common.run, *a.common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	m := s.cfg
	if _, err := s.Dimensions("traverse"); err != nil {
		return err
	}
	if m.Latent*a.steps > maxGenImages {
		return usagef("--steps %d: %d latent dimensions × steps exceeds %d images", a.steps, m.Latent, maxGenImages)
	}
	label, haveLabel, err := s.Label(*a.label)
	if err != nil {
		return err
	}
	if m.Conditional() && !haveLabel && a.seeded {
		return s.NeedLabel("the sweep")
	}
	st, err := s.TraverseStats(vae.TraverseBase{Seeded: a.seeded, Prior: *a.prior.name, PriorSteps: *a.prior.steps,
		Seed: a.seed, Temperature: a.temperature, Data: *a.spec, Index: a.index, ImageLabel: *a.imageLabel, Which: *a.which,
		Label: *a.label, ByKL: a.order == "kl"})
	if err != nil {
		return err
	}
	a.index = st.Index
	if !haveLabel {
		label = st.Label // the base image's, which an unconditional model ignores
	}
	if err := checkGridSize(m.Latent*a.steps, m.Height, m.Width, *a.common.scale, "--steps and --scale"); err != nil {
		return err
	}
	tr, err := s.Traverse(st, label, a.steps, a.span, a.order == "kl")
	if err != nil {
		return err
	}
	img := tr.Grid(*a.common.scale)
	if err := writePNG(*a.common.out, stdout, img); err != nil {
		return err
	}
	summary := summaryTo(*a.common.out, stdout, stderr)
	fmt.Fprintf(summary, "wrote %s: %d dimensions × %d steps over ±%g around %s, rows by %s, %dx%d pixels\n",
		outName(*a.common.out), m.Latent, a.steps, a.span, a.baseName(), orderName(a.order), img.Bounds().Dx(), img.Bounds().Dy())
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
// their parser, which checks them and the operands args.
func traverseFlags(fs *pflag.FlagSet) func(args []string) (*traverseArgs, error) {
	a := &traverseArgs{common: genFlags(fs, "traverse.png")}
	fs.IntVar(&a.steps, "steps", 9, "values per dimension, evenly spaced from −range to +range")
	fs.Float64Var(&a.span, "range", 3, "sweep each dimension from base−range to base+range")
	fs.IntVar(&a.index, "index", 0, "base code: the encoder mean of this test image (the default base)")
	fs.Int64Var(&a.seed, "seed", 0, "base code drawn from the prior (--prior; N(0, T²I) for normal) with this seed instead (--temperature 0: the zero vector under normal)")
	fs.Float64Var(&a.temperature, "temperature", 1, "standard deviation of a --seed base code")
	a.prior = addPriorFlags(fs)
	a.spec = runDataFlag(fs, "data set of the base image and of the KL that orders the rows")
	fs.StringVar(&a.order, "order", "kl", "row order: kl (largest mean KL over the first 1000 test images first) or dim (z1 first)")
	fs.StringVar(&a.gif, "gif", "", "also write an animation of the sweep to this .gif file: frame t shows every dimension at step t")
	fs.IntVar(&a.fps, "fps", 6, "frames per second of --gif")
	fs.BoolVar(&a.loop, "loop", false, "--gif plays forward then back")
	a.label = labelFlag(fs, "class the sweep is decoded as (default: the base image's label)")
	a.imageLabel = imageLabelFlag(fs, "base code: the encoder mean of")
	a.which = whichFlag(fs)
	return func(args []string) (*traverseArgs, error) {
		if err := parseGenFlags(fs, args, a.common); err != nil {
			return nil, err
		}
		set := flagsSet(fs)
		a.seeded = set["seed"]
		switch {
		case a.steps < 2 || a.steps > 1000:
			return nil, usagef("--steps %d: want 2 to 1000", a.steps)
		case !(a.span > 0) || math.IsInf(a.span, 0):
			return nil, usagef("--range %v: want a finite value > 0", a.span)
		case a.seeded && (set["index"] || set["image-label"]):
			return nil, usagef("--seed and --index (or --image-label) choose different base codes: give one")
		case !a.seeded && (set["prior"] || set["prior-steps"]):
			return nil, usagef("--prior draws a --seed base code; give --seed with it")
		case a.index < 0:
			return nil, usagef("--index %d: want ≥ 0", a.index)
		case a.order != "kl" && a.order != "dim":
			return nil, usagef("--order %q: want kl or dim", a.order)
		case a.fps < 1 || a.fps > generate.MaxFPS:
			return nil, usagef("--fps %d: want 1 to %d", a.fps, generate.MaxFPS)
		}
		if err := checkImagePick(set, *a.which); err != nil {
			return nil, err
		}
		if err := checkSideOut("--gif", a.gif, formatGIF); err != nil {
			return nil, err
		}
		if err := a.prior.check(); err != nil {
			return nil, err
		}
		return a, checkTemperature(a.temperature)
	}
}

// baseName says which base code the traversal sweeps around.
func (a *traverseArgs) baseName() string {
	if a.seeded {
		return fmt.Sprintf("a code drawn with seed %d at temperature %g", a.seed, a.temperature)
	}
	return fmt.Sprintf("test image %d's code", a.index)
}

// orderName says how the rows are ordered.
func orderName(order string) string {
	if order == "dim" {
		return "dimension"
	}
	return fmt.Sprintf("decreasing KL (mean over up to %d test images)", vae.TraverseKLImages)
}
