package main

import (
	"cmp"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/vae"
)

// traverseKLImages is how many test images (the first) the per-dimension
// KL that orders `latent traverse`'s rows is averaged over.
const traverseKLImages = 1000

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
	base, kl, baseLabel, err := traverseStats(s, a)
	if err != nil {
		return err
	}
	if !haveLabel {
		label = baseLabel // the base image's, which an unconditional model ignores
	}
	images, err := s.Decode(generate.Traversal(base, a.steps, a.span), vae.RepeatLabel(label, m.Latent*a.steps))
	if err != nil {
		return err
	}
	order := traverseOrder(m.Latent, kl, a.order)
	images = permuteRows(images, order, a.steps*m.Height*m.Width*m.Channels)
	if err := checkGridSize(m.Latent*a.steps, m.Height, m.Width, *a.common.scale, "--steps and --scale"); err != nil {
		return err
	}
	grid := generate.Grid(images, m.Latent*a.steps, m.Height, m.Width, m.Channels, a.steps, *a.common.scale)
	img := generate.Label(grid, m.Width**a.common.scale, m.Height**a.common.scale, traverseLabels(order, kl, a.steps, a.span))
	if err := writePNG(*a.common.out, stdout, img); err != nil {
		return err
	}
	summary := summaryTo(*a.common.out, stdout, stderr)
	fmt.Fprintf(summary, "wrote %s: %d dimensions × %d steps over ±%g around %s, rows by %s, %dx%d pixels\n",
		outName(*a.common.out), m.Latent, a.steps, a.span, a.baseName(), orderName(a.order), img.Bounds().Dx(), img.Bounds().Dy())
	if kl != nil {
		rows := make([]string, len(order))
		for r, d := range order {
			rows[r] = fmt.Sprintf("z%d (KL %.4f)", d+1, kl[d])
		}
		fmt.Fprintf(summary, "rows: %s\n", strings.Join(rows, ", "))
	}
	if a.gif == "" {
		return nil
	}
	frames := traverseFrames(images, m.Latent, a.steps, m.Height, m.Width, m.Channels, *a.common.scale)
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
	return fmt.Sprintf("decreasing KL (mean over up to %d test images)", traverseKLImages)
}

// traverseStats returns the base code, the base image's label (0 for a
// random base) and, unless the rows keep the dimensions' order with a
// random base (which needs no data), each dimension's KL averaged over the
// first test images. Images are encoded with their labels, which an
// unconditional model ignores.
func traverseStats(s *session, a *traverseArgs) (base []float32, kl []float64, label int, err error) {
	if a.seeded {
		var labels []int
		if l, ok, err := s.Label(*a.label); err != nil {
			return nil, nil, 0, err
		} else if ok {
			labels = []int{l}
		}
		if base, _, err = s.Sample(*a.prior.name, *a.prior.steps, 1, a.seed, a.temperature, labels); err != nil {
			return nil, nil, 0, err
		}
		if a.order == "dim" {
			return base, nil, 0, nil
		}
	}
	set, err := s.TestSet(*a.spec)
	if err != nil {
		return nil, nil, 0, err
	}
	test := set.Test
	if !a.seeded && *a.imageLabel != "" {
		if a.index, err = pickByLabel(test, set.Classes, "--image-label", *a.imageLabel, *a.which); err != nil {
			return nil, nil, 0, err
		}
	}
	if !a.seeded && a.index >= test.N {
		return nil, nil, 0, fmt.Errorf("--index %d: out of range, the test split has %d images (0 to %d)", a.index, test.N, test.N-1)
	}
	if kl, err = s.UnitKL(vae.LimitSplit(test, traverseKLImages)); err != nil {
		return nil, nil, 0, err
	}
	if !a.seeded {
		label = test.Labels[a.index]
		if base, err = s.Encode(test.Image(a.index), []int{label}); err != nil {
			return nil, nil, 0, err
		}
	}
	return base, kl, label, nil
}

// traverseOrder returns the latent dimensions in row order: by decreasing
// kl (ties by dimension), or as they are for "dim".
func traverseOrder(latent int, kl []float64, order string) []int {
	dims := make([]int, latent)
	for d := range dims {
		dims[d] = d
	}
	if order == "kl" {
		slices.SortStableFunc(dims, func(a, b int) int { return cmp.Compare(kl[b], kl[a]) })
	}
	return dims
}

// permuteRows returns the rows of images (rowSize values each) in order.
func permuteRows(images []float32, order []int, rowSize int) []float32 {
	out := make([]float32, 0, len(order)*rowSize)
	for _, d := range order {
		out = append(out, images[d*rowSize:(d+1)*rowSize]...)
	}
	return out
}

// traverseLabels labels each row with its dimension (z1 is the first) and
// KL, when known, and each column with its offset from the base.
func traverseLabels(order []int, kl []float64, steps int, span float64) generate.Labels {
	l := generate.Labels{Rows: make([][]string, len(order)), Cols: make([]string, steps), Corner: "offset"}
	for r, d := range order {
		l.Rows[r] = []string{"z" + strconv.Itoa(d+1)}
		if kl != nil {
			l.Rows[r] = append(l.Rows[r], fmt.Sprintf("KL %.2f", kl[d]))
		}
	}
	for i := range steps {
		v := generate.SweepOffset(i, steps, span)
		l.Cols[i] = strconv.FormatFloat(v, 'g', 3, 64)
		if v > 0 {
			l.Cols[i] = "+" + l.Cols[i]
		}
	}
	return l
}

// traverseFrames turns a traversal's images (row-major, steps per row)
// into one frame per step, each a grid of every row's image at that step.
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
