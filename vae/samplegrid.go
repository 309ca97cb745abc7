package vae

import (
	"image"

	"github.com/latent-vae/latent/generate"
)

// SampleGrid draws n codes from the prior name names (see Sample), for a
// conditional run one per label, decodes them and draws them in a grid
// upscaled by scale. It returns the grid and the prior's name.
func (s *Session) SampleGrid(name string, steps, n int, seed int64, temperature float64, labels []int, scale int) (image.Image, string, error) {
	m := s.Model
	codes, used, err := s.Sample(name, steps, n, seed, temperature, labels)
	if err != nil {
		return nil, "", err
	}
	images, err := s.Decode(codes, labels)
	if err != nil {
		return nil, "", err
	}
	return generate.Grid(images, n, m.Height, m.Width, m.Channels, 0, scale), used, nil
}

// ClassGrid draws a conditional run's class grid: one row per class,
// labelled with its name, of per samples drawn by SampleByClass (column j
// decodes the same code in every row under N(0, I), so a column shows one
// style across the classes), upscaled by scale. It returns the grid and
// the prior's name.
func (s *Session) ClassGrid(name string, steps, per int, seed int64, temperature float64, scale int) (image.Image, string, error) {
	m := s.Model
	rows := make([][]string, m.Classes)
	for c := range m.Classes {
		rows[c] = []string{s.ClassName(c)}
	}
	codes, labels, used, err := s.SampleByClass(name, steps, per, seed, temperature)
	if err != nil {
		return nil, "", err
	}
	images, err := s.Decode(codes, labels)
	if err != nil {
		return nil, "", err
	}
	grid := generate.Grid(images, m.Classes*per, m.Height, m.Width, m.Channels, per, scale)
	return generate.Label(grid, m.Width*scale, m.Height*scale, generate.Labels{Rows: rows}), used, nil
}

// SampleArray draws n samples as bytes (SampleImages) from the prior name
// names: of class label when haveLabel, else, for a conditional run, of
// the classes in turn (SampleLabels). It returns them and the prior's name.
func (s *Session) SampleArray(name string, steps, n int, seed int64, temperature float64, label int, haveLabel bool) ([]uint8, string, error) {
	labels := SampleLabels(s.Model, n)
	if haveLabel {
		labels = RepeatLabel(label, n)
	}
	codes, used, err := s.Sample(name, steps, n, seed, temperature, labels)
	if err != nil {
		return nil, "", err
	}
	pixels, err := s.SampleImages(codes, labels)
	return pixels, used, err
}
