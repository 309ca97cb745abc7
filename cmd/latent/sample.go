package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/vae"
)

// sampleLong is the help of `latent sample` after its synopsis.
const sampleLong = "  conditional runs: [--label L [-n N] | --per-label N]\n\n" +
	"  -o FILE.npy writes the images as a numpy uint8 array [N, H, W, C] (0 to 255, as the PNG shows them), of any -n;\n" +
	"  a conditional run's images then take the classes in turn (0, 1, …) unless --label is given"

// sampleCommand defines `latent sample`'s flags on fs and returns its body, runSample.
func sampleCommand(fs *pflag.FlagSet) cli.RunFunc {
	common := genFlags(fs, "samples.png", formatNPY)
	o := &vae.SampleOptions{}
	fs.IntVarP(&o.N, "n", "n", 64, "number of samples")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the latents")
	temperatureFlag(fs, &o.Temperature, "standard deviation of the latents")
	labelArg := labelFlag(fs, "class of every sample")
	pf := addPriorFlags(fs)
	fs.IntVar(&o.PerLabel, "per-label", vae.DefaultPerLabel, "conditional runs: a grid of one row per class, N samples each, column j decoding the same latent in every row (what a conditional run samples without --label)")
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := common.check(); err != nil {
			return err
		}
		set := cli.Given(fs)
		o.Label, o.ByClass, o.Prior, o.PriorSteps, o.Scale = *labelArg, set["per-label"], *pf.name, *pf.steps, *common.scale
		return runSample(set, *o, common, *pf.topK, stdout, stderr)
	}
}

// runSample implements `latent sample` (vae.Session.Samples): a grid of
// images decoded from latents drawn from the prior; for a conditional
// run, of one class (--label) or one row per class (--per-label); with -o
// FILE.npy, an array.
func runSample(set map[string]bool, o vae.SampleOptions, common genCommon, topK int, stdout, stderr io.Writer) error {
	if err := vae.CheckCount("-n", o.N); err != nil {
		return err
	}
	if err := checkTopK(topK); err != nil {
		return err
	}
	if o.ByClass && (set["label"] || set["n"]) {
		return cli.Usagef("--per-label %d: want a positive count, without --label or -n", o.PerLabel)
	}
	if err := o.Check(); err != nil {
		return err
	}
	s, err := common.open(stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	s.TopK = topK
	m, out := s.Model, *common.out
	if format, _ := cli.OutFormat("-o", out, cli.FormatPNG, formatNPY); format == formatNPY {
		if o.ByClass && m.Conditional() {
			return cli.Usagef("--per-label: draws a grid; -o %s writes an array (use -n)", out)
		}
		pixels, used, err := s.SampleBytes(o)
		if err != nil {
			return err
		}
		if err := writeNPY(out, stdout, pixels, o.N, m.Height, m.Width, m.Channels); err != nil {
			return err
		}
		cli.Wrote(out, stdout, stderr, "%d samples from the %s prior at %s, uint8 [%d, %d, %d, %d]",
			o.N, used, vae.TemperatureWords(o.Temperature), o.N, m.Height, m.Width, m.Channels)
		return nil
	}
	if m.Conditional() && o.Label == "" && set["n"] {
		return cli.Usagef("-n: run %s is conditional: give --label with -n, or --per-label for one row per class", s.Run.Dir)
	}
	r, err := s.Samples(o)
	if err != nil {
		return err
	}
	return common.writePNG(r.Image, stdout, stderr, r.Describe(o.Temperature))
}
