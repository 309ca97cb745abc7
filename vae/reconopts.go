package vae

import (
	"fmt"
	"image"
)

// ReconOptions are what `latent reconstruct` draws: N test images of the
// data set Data ("": the run's), the first of each class in turn, or the
// first N when First, over their reconstructions, captioned with their
// index and label when Numbers, upscaled by Scale.
type ReconOptions struct {
	Data           string
	N              int
	First, Numbers bool
	Scale          int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o ReconOptions) Check() error {
	if err := CheckCount("-n", o.N); err != nil {
		return err
	}
	return CheckScale(o.Scale)
}

// Reconstruction draws the grid o describes (ReconPick, ReconGrid), after
// checking o, that the test split has N images and that the grid fits in
// one picture.
func (s *Session) Reconstruction(o ReconOptions) (image.Image, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	set, err := s.TestSet(o.Data)
	if err != nil {
		return nil, err
	}
	test := set.Test
	if o.N > test.N {
		return nil, fmt.Errorf("-n %d: the test split has only %d images", o.N, test.N)
	}
	m := s.Model
	if err := CheckGridSize(ReconCells(o.N), m.Height, m.Width, o.Scale, "-n and --scale"); err != nil {
		return nil, err
	}
	return s.ReconGrid(set, test, ReconPick(test, o.N, o.First), o.Numbers, o.Scale)
}

// Describe says what the grid img shows, as `latent reconstruct` reports it.
func (o ReconOptions) Describe(img image.Image) string {
	picking := "the first of each class in turn; --first: the first of the split"
	if o.First {
		picking = "the first of the test split"
	}
	return fmt.Sprintf("%d test images (%s; rows labelled input) over their reconstructions (recon), %dx%d pixels",
		o.N, picking, img.Bounds().Dx(), img.Bounds().Dy())
}
