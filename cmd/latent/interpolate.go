package main

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
	"github.com/spf13/pflag"
)

// interpOptions are the parsed flags of `latent interpolate`.
type interpOptions struct {
	common genCommon
	opts   vae.InterpolateOptions
	fps    int
	loop   bool
	strip  string
	label  *string
	data   runDataFlags
	prior  priorFlags // of random endpoints
}

// interpolateLong is the help of `latent interpolate` after its synopsis.
const interpolateLong = "  endpoints: --seed S [--prior P] | --from-index I --to-index J | --from-label L --to-label M [--which N] | --from a.png --to b.png"

// interpolateCommand defines `latent interpolate`'s flags on fs and returns its body, runInterpolate.
func interpolateCommand(fs *pflag.FlagSet) cli.RunFunc {
	parse := interpolateFlags(fs)
	return func(_ []string, stdout, stderr io.Writer) error { return runInterpolate(parse, stdout, stderr) }
}

// runInterpolate implements `latent interpolate` (vae.Session.Interpolation):
// a GIF morphing between two latents — random, the encodings of two test
// images, or of two image files — optionally several pairs side by side and
// a PNG strip of frames.
func runInterpolate(parse func() (*interpOptions, error), stdout, stderr io.Writer) error {
	o, err := parse()
	if err != nil {
		return err
	}
	if err := checkTopK(*o.prior.topK); err != nil {
		return err
	}
	s, err := o.data.open(*o.common.run, *o.common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TopK = *o.prior.topK
	in, err := s.Interpolation(o.opts)
	if err != nil {
		return err
	}
	frames := in.Animation()
	if o.strip != "" {
		if err := cli.WritePNG(o.strip, stdout, in.Strip()); err != nil {
			return err
		}
		fmt.Fprintf(cli.SummaryTo(*o.common.out, stdout, stderr), "wrote %s: %d frames side by side, one row per pair\n", o.strip, in.Frames)
	}
	if o.loop {
		frames = generate.PingPong(frames)
	}
	err = writeGIF(*o.common.out, stdout, frames, o.fps)
	if err != nil {
		return err
	}
	cli.Wrote(*o.common.out, stdout, stderr, "%d frames at %d fps, %d pair(s) by %s, %dx%d pixels",
		len(frames), o.fps, in.Pairs, o.opts.Method, frames[0].Bounds().Dx(), frames[0].Bounds().Dy())
	return nil
}

// interpolateFlags defines the flags of `latent interpolate` on fs and
// returns their parser, which checks them.
func interpolateFlags(fs *pflag.FlagSet) func() (*interpOptions, error) {
	o := &interpOptions{common: genFlags(fs, "interp.gif")}
	e := &o.opts.Ends
	fs.Int64Var(&e.Seed, "seed", 1, "seed of random endpoints (used when no indices or files are given)")
	temperatureFlag(fs, &e.Temperature, "standard deviation of random endpoints")
	o.prior = addPriorFlags(fs)
	fs.IntVar(&e.FromIndex, "from-index", 0, "start at the encoding of this test image (with --to-index)")
	fs.IntVar(&e.ToIndex, "to-index", 0, "end at the encoding of this test image (with --from-index)")
	fs.StringVar(&e.FromLabel, "from-label", "", "start at the encoding of the first test image of this class, a name or label (the n-th with --which)")
	fs.StringVar(&e.ToLabel, "to-label", "", "end at the encoding of the first test image of this class (the n-th with --which)")
	fs.IntVar(&e.Which, "which", 0, "with --from-label or --to-label: use the n-th test image of each class (0: the first); pair k uses the (n+k)-th")
	fs.StringVar(&e.From, "from", "", "start at the encoding of this image file (with --to)")
	fs.StringVar(&e.To, "to", "", "end at the encoding of this image file (with --from)")
	o.data = runDataFlag(fs, "data set of --from-index, --to-index and the label flags")
	method := fs.String("method", string(generate.MethodSlerp), "interpolation: slerp (great circle) or lerp (straight line)")
	fs.IntVar(&o.opts.Frames, "frames", 16, "frames from one endpoint to the other, both included")
	fs.IntVar(&o.fps, "fps", 12, "frames per second")
	fs.BoolVar(&o.loop, "loop", false, "play forward then back (f0..fN-1, fN-2..f1)")
	fs.IntVar(&o.opts.Pairs, "pairs", 1, "interpolations side by side; pair k of index endpoints uses I+k and J+k")
	fs.StringVar(&o.strip, "strip", "", "also write the frames side by side to this .png file, one row per pair")
	o.label = labelFlag(fs, "class every frame is decoded as (default: with --from-index, the start image's label)")
	return func() (*interpOptions, error) {
		if err := o.common.check(); err != nil {
			return nil, err
		}
		e.Data, e.Label, e.Prior, e.PriorSteps, o.opts.Scale = *o.data.spec, *o.label, *o.prior.name, *o.prior.steps, *o.common.scale
		var err error
		if o.opts.Method, err = generate.ParseMethod(*method); err != nil {
			return nil, cli.Usagef("--method: %w", err)
		}
		return o, o.check(cli.Given(fs))
	}
}

// check checks the flags' values, and which endpoints the flags given
// (set) chose (vae.Endpoints.Choose).
func (o *interpOptions) check(set map[string]bool) error {
	if err := vae.CheckFPS(o.fps); err != nil {
		return err
	}
	if err := o.opts.Ends.Choose(set); err != nil {
		return err
	}
	if err := o.opts.Check(); err != nil {
		return err
	}
	return cli.CheckSideOut("--strip", o.strip, ownFile, cli.FormatPNG)
}
