package main

import (
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/vae"
)

// interpOptions are the parsed flags of `latent interpolate`.
type interpOptions struct {
	common           genCommon
	seed             int64
	temperature      float64
	fromIndex        int
	toIndex          int
	from, to         string
	fromLabel        string // pick the start by class: the which-th test image of it
	toLabel          string
	which            int
	data             string
	method           generate.Method
	frames, fps      int
	pairs            int
	loop             bool
	strip            string
	label            *string
	prior            priorFlags // of random endpoints
	indexed, fromImg bool       // which kind of endpoints was chosen
}

// interpolateLong is the help of `latent interpolate` after its synopsis.
const interpolateLong = "  endpoints: --seed S [--prior P] | --from-index I --to-index J | --from-label L --to-label M [--which N] | --from a.png --to b.png"

// interpolateCommand defines `latent interpolate`'s flags on fs and returns its body, runInterpolate.
func interpolateCommand(fs *pflag.FlagSet) runFunc {
	parse := interpolateFlags(fs)
	return func(args []string, stdout, stderr io.Writer) error {
		return runInterpolate(parse, args, stdout, stderr)
	}
}

// runInterpolate implements `latent interpolate`: a GIF morphing between
// two latents — random, the encodings of two test images, or of two image
// files — optionally several pairs side by side and a PNG strip of frames.
func runInterpolate(parse func(args []string) (*interpOptions, error), args []string, stdout, stderr io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	s, err := openSession(*o.common.run, *o.common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TopK = *o.prior.topK
	ends, pairLabels, err := interpEndpoints(s, o)
	if err != nil {
		return err
	}
	m := s.cfg
	if err := checkGridSize(o.frames*o.pairs, m.Height, m.Width, *o.common.scale, "--frames, --pairs and --scale"); err != nil {
		return err
	}
	images, err := s.Interpolate(o.method, ends, pairLabels, o.frames)
	if err != nil {
		return err
	}
	size := m.Height * m.Width * m.Channels
	frames := make([]image.Image, o.frames)
	for f := range frames {
		cells := make([]float32, 0, o.pairs*size)
		for k := range o.pairs {
			i := k*o.frames + f
			cells = append(cells, images[i*size:(i+1)*size]...)
		}
		frames[f] = generate.Grid(cells, o.pairs, m.Height, m.Width, m.Channels, o.pairs, *o.common.scale)
	}
	if o.strip != "" {
		strip := generate.Grid(images, o.pairs*o.frames, m.Height, m.Width, m.Channels, o.frames, *o.common.scale)
		if err := writePNG(o.strip, stdout, strip); err != nil {
			return err
		}
		fmt.Fprintf(summaryTo(*o.common.out, stdout, stderr), "wrote %s: %d frames side by side, one row per pair\n", o.strip, o.frames)
	}
	if o.loop {
		frames = generate.PingPong(frames)
	}
	err = writeGIF(*o.common.out, stdout, frames, o.fps)
	if err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*o.common.out, stdout, stderr), "wrote %s: %d frames at %d fps, %d pair(s) by %s, %dx%d pixels\n", outName(*o.common.out),
		len(frames), o.fps, o.pairs, o.method, frames[0].Bounds().Dx(), frames[0].Bounds().Dy())
	return nil
}

// interpolateFlags defines the flags of `latent interpolate` on fs and
// returns their parser, which checks them and the operands args.
func interpolateFlags(fs *pflag.FlagSet) func(args []string) (*interpOptions, error) {
	o := &interpOptions{common: genFlags(fs, "interp.gif")}
	fs.Int64Var(&o.seed, "seed", 1, "seed of random endpoints (used when no indices or files are given)")
	fs.Float64Var(&o.temperature, "temperature", 1, "standard deviation of random endpoints")
	o.prior = addPriorFlags(fs)
	fs.IntVar(&o.fromIndex, "from-index", 0, "start at the encoding of this test image (with --to-index)")
	fs.IntVar(&o.toIndex, "to-index", 0, "end at the encoding of this test image (with --from-index)")
	fs.StringVar(&o.fromLabel, "from-label", "", "start at the encoding of the first test image of this class, a name or label (the n-th with --which)")
	fs.StringVar(&o.toLabel, "to-label", "", "end at the encoding of the first test image of this class (the n-th with --which)")
	fs.IntVar(&o.which, "which", 0, "with --from-label or --to-label: use the n-th test image of each class (0: the first); pair k uses the (n+k)-th")
	fs.StringVar(&o.from, "from", "", "start at the encoding of this image file (with --to)")
	fs.StringVar(&o.to, "to", "", "end at the encoding of this image file (with --from)")
	data := runDataFlag(fs, "data set of --from-index, --to-index and the label flags")
	method := fs.String("method", string(generate.MethodSlerp), "interpolation: slerp (great circle) or lerp (straight line)")
	fs.IntVar(&o.frames, "frames", 16, "frames from one endpoint to the other, both included")
	fs.IntVar(&o.fps, "fps", 12, "frames per second")
	fs.BoolVar(&o.loop, "loop", false, "play forward then back (f0..fN-1, fN-2..f1)")
	fs.IntVar(&o.pairs, "pairs", 1, "interpolations side by side; pair k of index endpoints uses I+k and J+k")
	fs.StringVar(&o.strip, "strip", "", "also write the frames side by side to this .png file, one row per pair")
	o.label = labelFlag(fs, "class every frame is decoded as (default: with --from-index, the start image's label)")
	return func(args []string) (*interpOptions, error) {
		if err := parseGenFlags(fs, args, o.common); err != nil {
			return nil, err
		}
		o.data = *data
		var err error
		if o.method, err = generate.ParseMethod(*method); err != nil {
			return nil, usagef("--method: %w", err)
		}
		return o, usageErr(o.check(flagsSet(fs)))
	}
}

// check validates the options and records which endpoints were chosen.
func (o *interpOptions) check(set map[string]bool) error {
	o.indexed = set["from-index"] || set["to-index"] || set["from-label"] || set["to-label"]
	start := set["from-index"] || set["from-label"]
	end := set["to-index"] || set["to-label"]
	o.fromImg = set["from"] || set["to"]
	switch {
	case o.frames < 2 || o.frames > 1000:
		return fmt.Errorf("--frames %d: want 2 to 1000", o.frames)
	case o.fps < 1 || o.fps > generate.MaxFPS:
		return fmt.Errorf("--fps %d: want 1 to %d", o.fps, generate.MaxFPS)
	case o.pairs < 1 || o.pairs*o.frames > maxGenImages:
		return fmt.Errorf("--pairs %d: want at least 1 and at most %d images in all (pairs × frames)", o.pairs, maxGenImages)
	case o.indexed && o.fromImg:
		return errors.New("--from-index/--to-index (or --from-label/--to-label) and --from/--to: choose one kind of endpoints")
	case set["from-index"] && set["from-label"]:
		return errors.New("--from-index and --from-label both choose the start: give one")
	case set["to-index"] && set["to-label"]:
		return errors.New("--to-index and --to-label both choose the end: give one")
	case o.indexed && !(start && end):
		return errors.New("a start (--from-index or --from-label) and an end (--to-index or --to-label) go together")
	case set["which"] && !(set["from-label"] || set["to-label"]):
		return errors.New("--which picks among a class's images: give --from-label or --to-label")
	case o.which < 0:
		return fmt.Errorf("--which %d: want ≥ 0", o.which)
	case o.fromImg && (o.from == "" || o.to == ""):
		return errors.New("--from and --to go together, each naming an image file")
	case o.fromImg && o.pairs > 1:
		return errors.New("--pairs: image-file endpoints make one pair; use random or index endpoints for more")
	case o.indexed && (o.fromIndex < 0 || o.toIndex < 0):
		return fmt.Errorf("--from-index %d, --to-index %d: indices must be ≥ 0", o.fromIndex, o.toIndex)
	case (o.indexed || o.fromImg) && set["seed"]:
		return errors.New("--seed chooses random endpoints; it cannot go with --from-index or --from")
	case (o.indexed || o.fromImg) && (set["prior"] || set["prior-steps"] || set["top-k"]):
		return errors.New("--prior draws random endpoints; it cannot go with --from-index or --from")
	}
	if err := o.prior.check(); err != nil {
		return err
	}
	if err := checkSideOut("--strip", o.strip, formatPNG); err != nil {
		return err
	}
	return checkTemperature(o.temperature)
}

// interpEndpoints returns the endpoints of every pair (codes 2k and 2k+1
// are pair k's start and end) and, for a conditional run, the class each
// pair is decoded as: --label, else the start image's label of index
// endpoints. Image files are encoded as --label; random endpoints and files
// need it.
func interpEndpoints(s *session, o *interpOptions) ([][]float32, []int, error) {
	m := s.cfg
	d, err := s.Dimensions("interpolation")
	if err != nil {
		return nil, nil, err
	}
	label, haveLabel, err := s.Label(*o.label)
	if err != nil {
		return nil, nil, err
	}
	if m.Conditional() && !haveLabel && !o.indexed {
		return nil, nil, s.NeedLabel("the frames")
	}
	var codes []float32
	var pairLabels []int
	switch {
	case o.fromImg:
		var images []float32
		for i, path := range []string{o.from, o.to} {
			img, err := data.ReadImageFile(path, m.Height, m.Width, m.Channels)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", []string{"--from", "--to"}[i], err)
			}
			images = append(images, img...)
		}
		if codes, err = s.Encode(images, vae.RepeatLabel(label, 2)); err != nil {
			return nil, nil, err
		}
	case o.indexed:
		if codes, pairLabels, err = indexEndpoints(s, o); err != nil {
			return nil, nil, err
		}
	default:
		var labels []int
		if haveLabel {
			labels = vae.RepeatLabel(label, 2*o.pairs)
		}
		if codes, _, err = s.Sample(*o.prior.name, *o.prior.steps, 2*o.pairs, o.seed, o.temperature, labels); err != nil {
			return nil, nil, err
		}
	}
	if haveLabel {
		pairLabels = vae.RepeatLabel(label, o.pairs)
	}
	ends := make([][]float32, 2*o.pairs)
	for i := range ends {
		ends[i] = codes[i*d : (i+1)*d]
	}
	return ends, pairLabels, nil
}

// indexEndpoints encodes the test images of index or label endpoints,
// each with its label, and returns their codes and the label of each
// pair's start image (which an unconditional model ignores).
func indexEndpoints(s *session, o *interpOptions) ([]float32, []int, error) {
	set, err := s.TestSet(o.data)
	if err != nil {
		return nil, nil, err
	}
	test := set.Test
	ends := [2][]int{}
	for e, f := range []struct {
		name, label string
		index       int
	}{{"--from-index", o.fromLabel, o.fromIndex}, {"--to-index", o.toLabel, o.toIndex}} {
		for k := range o.pairs {
			i := f.index + k
			if f.label != "" {
				name := map[int]string{0: "--from-label", 1: "--to-label"}[e]
				if i, err = pickByLabel(test, set.Classes, name, f.label, o.which+k); err != nil {
					return nil, nil, err
				}
			} else if i >= test.N {
				return nil, nil, fmt.Errorf("%s %d: out of range, the test split has %d images (0 to %d)%s",
					f.name, f.index, test.N, test.N-1, pairsNote(o.pairs))
			}
			ends[e] = append(ends[e], i)
		}
	}
	var images []float32
	var labels, starts []int
	for k := range o.pairs {
		i, j := ends[0][k], ends[1][k]
		images = append(append(images, test.Image(i)...), test.Image(j)...)
		labels, starts = append(labels, test.Labels[i], test.Labels[j]), append(starts, test.Labels[i])
	}
	if o.fromLabel != "" || o.toLabel != "" {
		fmt.Fprintf(s.stderr, "from %s to %s\n", imageName(set, ends[0][0]), imageName(set, ends[1][0]))
	}
	codes, err := s.Encode(images, labels) // an unconditional model ignores labels
	return codes, starts, err
}

// pairsNote explains the index range --pairs needs.
func pairsNote(pairs int) string {
	if pairs == 1 {
		return ""
	}
	return fmt.Sprintf("; --pairs %d uses it and the %d after it", pairs, pairs-1)
}
