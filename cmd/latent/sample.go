package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/vae"
)

// defaultPerLabel is the columns of a conditional run's class grid.
const defaultPerLabel = 8

// sampleLong is the help of `latent sample` after its synopsis.
const sampleLong = "  conditional runs: [--label L [-n N] | --per-label N]\n\n" +
	"  -o FILE.npy writes the images as a numpy uint8 array [N, H, W, C] (0 to 255, as the PNG shows them), of any -n;\n" +
	"  a conditional run's images then take the classes in turn (0, 1, …) unless --label is given"

// sampleCommand defines `latent sample`'s flags on fs and returns its body, runSample.
func sampleCommand(fs *pflag.FlagSet) runFunc {
	common := genFlags(fs, "samples.png", formatNPY)
	n := fs.IntP("n", "n", 64, "number of samples")
	seed := fs.Int64("seed", 1, "seed of the latents")
	temperature := fs.Float64("temperature", 1, "standard deviation of the latents")
	labelArg := labelFlag(fs, "class of every sample")
	pf := addPriorFlags(fs)
	perLabel := fs.Int("per-label", defaultPerLabel, "conditional runs: a grid of one row per class, N samples each, column j decoding the same latent in every row (what a conditional run samples without --label)")
	return func(args []string, stdout, stderr io.Writer) error {
		return runSample(fs, args, stdout, stderr, common, n, seed, temperature, labelArg, pf, perLabel)
	}
}

// runSample implements `latent sample`: a grid of images decoded from
// latents drawn from N(0, T²I); for a conditional run, of one class
// (--label) or one row per class (--per-label).
func runSample(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	common genCommon, n *int, seed *int64, temperature *float64, labelArg *string, pf priorFlags, perLabel *int) error {
	if err := parseGenFlags(fs, args, common); err != nil {
		return err
	}
	set := flagsSet(fs)
	if err := checkCount("-n", *n); err != nil {
		return err
	}
	if set["per-label"] && (*perLabel < 1 || set["label"] || set["n"]) {
		return usagef("--per-label %d: want a positive count, without --label or -n", *perLabel)
	}
	if err := checkTemperature(*temperature); err != nil {
		return err
	}
	if err := pf.check(); err != nil {
		return err
	}
	s, err := openSession(*common.run, *common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TopK = *pf.topK
	label, haveLabel, err := s.Label(*labelArg)
	if err != nil {
		return err
	}
	m := s.cfg
	if set["per-label"] && !m.Conditional() {
		return usagef("--per-label: run %s is not conditional (train it with --conditional to generate by class)", s.run.Dir)
	}
	format, err := outFormat("-o", *common.out, formatPNG, formatNPY)
	if err != nil {
		return err
	}
	if format == formatNPY {
		if set["per-label"] {
			return usagef("--per-label: draws a grid; -o %s writes an array (use -n)", *common.out)
		}
		return sampleArray(s, pf, *common.out, *n, *seed, *temperature, label, haveLabel, stdout, stderr)
	}
	if m.Conditional() && !haveLabel {
		if set["n"] {
			return usagef("-n: run %s is conditional: give --label with -n, or --per-label for one row per class", s.run.Dir)
		}
		return sampleByClass(s, common, pf, *perLabel, *seed, *temperature, stdout, stderr)
	}
	if err := checkGridSize(*n, m.Height, m.Width, *common.scale, "-n and --scale"); err != nil {
		return err
	}
	var labels []int
	what := ""
	if haveLabel {
		labels, what = vae.RepeatLabel(label, *n), " of class "+s.ClassName(label)
	}
	codes, used, err := s.Sample(*pf.name, *pf.steps, *n, *seed, *temperature, labels)
	if err != nil {
		return err
	}
	images, err := s.Decode(codes, labels)
	if err != nil {
		return err
	}
	img := generate.Grid(images, *n, m.Height, m.Width, m.Channels, 0, *common.scale)
	if err := writePNG(*common.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*common.out, stdout, stderr), "wrote %s: %d samples%s from the %s prior at temperature %g, %dx%d pixels\n",
		outName(*common.out), *n, what, used, *temperature, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// sampleByClass writes a conditional run's class grid: one row per class,
// labelled with its name, of per samples; column j decodes the same latent
// in every row, so a column shows one style across the classes. A fitted
// prior, conditional on the class, draws each row's codes from its class.
func sampleByClass(s *session, common genCommon, pf priorFlags, per int, seed int64, temperature float64, stdout, stderr io.Writer) error {
	m := s.cfg
	n := m.Classes * per
	if err := checkGridSize(n, m.Height, m.Width, *common.scale, "--per-label and --scale"); err != nil {
		return err
	}
	rows := make([][]string, m.Classes)
	for c := range m.Classes {
		rows[c] = []string{s.ClassName(c)}
	}
	codes, labels, used, err := s.SampleByClass(*pf.name, *pf.steps, per, seed, temperature)
	if err != nil {
		return err
	}
	images, err := s.Decode(codes, labels)
	if err != nil {
		return err
	}
	grid := generate.Grid(images, n, m.Height, m.Width, m.Channels, per, *common.scale)
	img := generate.Label(grid, m.Width**common.scale, m.Height**common.scale, generate.Labels{Rows: rows})
	if err := writePNG(*common.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*common.out, stdout, stderr), "wrote %s: one row per class (%d), %d samples each from the %s prior at temperature %g, %dx%d pixels\n",
		outName(*common.out), m.Classes, per, used, temperature, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// sampleArray writes n samples as a .npy array: decoded from codes drawn
// from the prior pf names, each of its label (the label given, else, for a
// conditional run, the classes in turn).
func sampleArray(s *session, pf priorFlags, out string, n int, seed int64, temperature float64, label int, haveLabel bool,
	stdout, stderr io.Writer) error {
	m := s.cfg
	labels := vae.SampleLabels(m, n)
	if haveLabel {
		labels = vae.RepeatLabel(label, n)
	}
	codes, used, err := s.Sample(*pf.name, *pf.steps, n, seed, temperature, labels)
	if err != nil {
		return err
	}
	pixels, err := s.SampleImages(codes, labels)
	if err != nil {
		return err
	}
	if err := writeNPY(out, stdout, pixels, n, m.Height, m.Width, m.Channels); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(out, stdout, stderr), "wrote %s: %d samples from the %s prior at temperature %g, uint8 [%d, %d, %d, %d]\n",
		outName(out), n, used, temperature, n, m.Height, m.Width, m.Channels)
	return nil
}
