package vae

import (
	"errors"
	"image"

	"github.com/latent-vae/latent/generate"
)

// InterpolateOptions are what `latent interpolate` draws: Pairs
// interpolations by Method between the endpoints Ends chooses, Frames
// frames each, both endpoints included, upscaled by Scale.
type InterpolateOptions struct {
	Ends   Endpoints // Ends.Pairs is set from Pairs
	Method generate.Method
	Frames int
	Pairs  int
	Scale  int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o InterpolateOptions) Check() error {
	e := o.Ends
	switch {
	case o.Frames < 2 || o.Frames > 1000:
		return argErrorf("--frames %d: want 2 to 1000", o.Frames)
	case o.Pairs < 1 || o.Pairs*o.Frames > MaxImages:
		return argErrorf("--pairs %d: want at least 1 and at most %d images in all (pairs × frames)", o.Pairs, MaxImages)
	case e.Indexed && e.Files:
		return argErr(errors.New("--from-index/--to-index (or --from-label/--to-label) and --from/--to: choose one kind of endpoints"))
	case e.Which < 0:
		return argErrorf("--which %d: want ≥ 0", e.Which)
	case e.Files && (e.From == "" || e.To == ""):
		return argErr(errors.New("--from and --to go together, each naming an image file"))
	case e.Files && o.Pairs > 1:
		return argErr(errors.New("--pairs: image-file endpoints make one pair; use random or index endpoints for more"))
	case e.Indexed && (e.FromIndex < 0 || e.ToIndex < 0):
		return argErrorf("--from-index %d, --to-index %d: indices must be ≥ 0", e.FromIndex, e.ToIndex)
	}
	if err := CheckScale(o.Scale); err != nil {
		return err
	}
	if err := CheckPrior(e.Prior, e.PriorSteps); err != nil {
		return err
	}
	return CheckTemperature(e.Temperature)
}

// Interpolation is Pairs interpolations of Frames decoded images each,
// pair after pair.
type Interpolation struct {
	Images        []float32
	Pairs, Frames int
	Scale         int
	h, w, c       int // of an image
}

// Interpolation returns the interpolations o describes (InterpolationEnds,
// then Interpolate), after checking o and that they fit in one picture.
func (s *Session) Interpolation(o InterpolateOptions) (*Interpolation, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	o.Ends.Pairs = o.Pairs
	ends, pairLabels, err := s.InterpolationEnds(o.Ends)
	if err != nil {
		return nil, err
	}
	m := s.Model
	if err := CheckGridSize(o.Frames*o.Pairs, m.Height, m.Width, o.Scale, "--frames, --pairs and --scale"); err != nil {
		return nil, err
	}
	images, err := s.Interpolate(o.Method, ends, pairLabels, o.Frames)
	if err != nil {
		return nil, err
	}
	return &Interpolation{Images: images, Pairs: o.Pairs, Frames: o.Frames, Scale: o.Scale, h: m.Height, w: m.Width, c: m.Channels}, nil
}

// Animation returns the frames of the interpolations: frame t shows every
// pair's t-th image side by side (generate.Frames).
func (in *Interpolation) Animation() []image.Image {
	return generate.Frames(in.Images, in.Pairs, in.Frames, in.h, in.w, in.c, in.Pairs, in.Scale)
}

// Strip draws every frame side by side, one row per pair.
func (in *Interpolation) Strip() image.Image {
	return generate.Grid(in.Images, in.Pairs*in.Frames, in.h, in.w, in.c, in.Frames, in.Scale)
}

// Choose records which endpoints the flags given (by name) chose, and
// refuses endpoint flags that do not go together; their values are
// InterpolateOptions.Check's.
func (e *Endpoints) Choose(given map[string]bool) error {
	e.Indexed = given["from-index"] || given["to-index"] || given["from-label"] || given["to-label"]
	e.Files = given["from"] || given["to"]
	start := given["from-index"] || given["from-label"]
	end := given["to-index"] || given["to-label"]
	switch {
	case given["from-index"] && given["from-label"]:
		return argErrorf("--from-index and --from-label both choose the start: give one")
	case given["to-index"] && given["to-label"]:
		return argErrorf("--to-index and --to-label both choose the end: give one")
	case e.Indexed && !e.Files && !(start && end):
		return argErrorf("a start (--from-index or --from-label) and an end (--to-index or --to-label) go together")
	case given["which"] && !(given["from-label"] || given["to-label"]):
		return argErrorf("--which picks among a class's images: give --from-label or --to-label")
	case (e.Indexed || e.Files) && given["seed"]:
		return argErrorf("--seed chooses random endpoints; it cannot go with --from-index or --from")
	case (e.Indexed || e.Files) && (given["prior"] || given["prior-steps"] || given["top-k"]):
		return argErrorf("--prior draws random endpoints; it cannot go with --from-index or --from")
	}
	return nil
}
