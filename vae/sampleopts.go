package vae

import (
	"fmt"
	"image"
)

// DefaultPerLabel is the columns of a conditional run's class grid.
const DefaultPerLabel = 8

// SampleOptions are what `latent sample` draws: N codes from the prior
// Prior names (see Sample), decoded as class Label (a --label value; ""
// for none); a conditional run without a Label draws its class grid
// instead, PerLabel samples per class, which ByClass asks for explicitly.
type SampleOptions struct {
	Prior       string
	PriorSteps  int
	N           int
	Seed        int64
	Temperature float64
	Label       string
	PerLabel    int
	ByClass     bool
	Scale       int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o SampleOptions) Check() error {
	if err := CheckCount("-n", o.N); err != nil {
		return err
	}
	if o.PerLabel < 1 || o.ByClass && o.Label != "" {
		return argErrorf("--per-label %d: want a positive count, without --label or -n", o.PerLabel)
	}
	if err := CheckTemperature(o.Temperature); err != nil {
		return err
	}
	if err := CheckPrior(o.Prior, o.PriorSteps); err != nil {
		return err
	}
	return CheckScale(o.Scale)
}

// Samples is a grid of samples: of N samples, or a conditional run's class
// grid of PerClass samples per class.
type Samples struct {
	Image    image.Image
	Prior    string // the prior's name, auto resolved
	Class    string // the class of every sample ("": none)
	N        int
	PerClass int // > 0: the class grid
	classes  int
}

// Samples draws the grid o describes (SampleGrid, or ClassGrid for a
// conditional run without a label), after checking o, the label and that
// the grid fits in one picture.
func (s *Session) Samples(o SampleOptions) (*Samples, error) {
	label, haveLabel, err := s.sampleLabel(o)
	if err != nil {
		return nil, err
	}
	m := s.Model
	r := &Samples{N: o.N, classes: m.Classes}
	if m.Conditional() && !haveLabel {
		r.PerClass, r.N = o.PerLabel, m.Classes*o.PerLabel
		if err := CheckGridSize(r.N, m.Height, m.Width, o.Scale, "--per-label and --scale"); err != nil {
			return nil, err
		}
		r.Image, r.Prior, err = s.ClassGrid(o.Prior, o.PriorSteps, o.PerLabel, o.Seed, o.Temperature, o.Scale)
		return r, err
	}
	if err := CheckGridSize(o.N, m.Height, m.Width, o.Scale, "-n and --scale"); err != nil {
		return nil, err
	}
	var labels []int
	if haveLabel {
		labels, r.Class = RepeatLabel(label, o.N), s.ClassName(label)
	}
	r.Image, r.Prior, err = s.SampleGrid(o.Prior, o.PriorSteps, o.N, o.Seed, o.Temperature, labels, o.Scale)
	return r, err
}

// sampleLabel checks o and returns the class it names, refusing a class
// grid asked of a run that is not conditional.
func (s *Session) sampleLabel(o SampleOptions) (label int, ok bool, err error) {
	if err := o.Check(); err != nil {
		return 0, false, err
	}
	if label, ok, err = s.Label(o.Label); err != nil {
		return 0, false, err
	}
	if o.ByClass && !s.Model.Conditional() {
		return 0, false, argErrorf("--per-label: run %s is not conditional (train it with --conditional to generate by class)", s.Run.Dir)
	}
	return label, ok, nil
}

// Describe says what the grid shows, drawn at temperature, as `latent
// sample` reports it.
func (r *Samples) Describe(temperature float64) string {
	b := r.Image.Bounds()
	if r.PerClass > 0 {
		return fmt.Sprintf("one row per class (%d), %d samples each from the %s prior at %s, %dx%d pixels",
			r.classes, r.PerClass, r.Prior, TemperatureWords(temperature), b.Dx(), b.Dy())
	}
	what := ""
	if r.Class != "" {
		what = " of class " + r.Class
	}
	return fmt.Sprintf("%d samples%s from the %s prior at %s, %dx%d pixels", r.N, what, r.Prior, TemperatureWords(temperature), b.Dx(), b.Dy())
}

// SampleBytes draws o.N samples as bytes (SampleArray): of class o.Label,
// else, for a conditional run, of the classes in turn. It returns them and
// the prior's name.
func (s *Session) SampleBytes(o SampleOptions) ([]uint8, string, error) {
	label, haveLabel, err := s.sampleLabel(o)
	if err != nil {
		return nil, "", err
	}
	return s.SampleArray(o.Prior, o.PriorSteps, o.N, o.Seed, o.Temperature, label, haveLabel)
}
