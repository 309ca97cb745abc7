package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/train"
)

// runSample implements `latent sample`: a grid of images decoded from
// latents drawn from N(0, T²I).
func runSample(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sample", "--run DIR [-n 64] [--seed S] [--temperature T] [-o samples.png] [--scale 3] [--backend B]", stderr)
	common := genFlags(fs, "samples.png")
	n := fs.Int("n", 64, "number of samples")
	seed := fs.Int64("seed", 1, "seed of the latents")
	temperature := fs.Float64("temperature", 1, "standard deviation of the latents")
	if err := parseGenFlags(fs, args, common); err != nil {
		return err
	}
	if err := checkCount("-n", *n); err != nil {
		return err
	}
	if err := checkTemperature(*temperature); err != nil {
		return err
	}
	s, err := openGenSession(common, stderr)
	if err != nil {
		return err
	}
	defer s.close()
	m := s.cfg
	images, err := s.decode(generate.RandomLatents(*n, m.Latent, *seed, *temperature))
	if err != nil {
		return err
	}
	img := generate.Grid(images, *n, m.Height, m.Width, m.Channels, 0, *common.scale)
	if err := generate.WritePNG(*common.out, img); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d samples at temperature %g, %dx%d pixels\n",
		*common.out, *n, *temperature, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// maxGenImages bounds how many images one command decodes.
const maxGenImages = 1 << 16

// genCommon holds the flags every generating command shares.
type genCommon struct {
	run, backend, out *string
	scale             *int
}

// genFlags defines --run, --backend, -o (defaulting to out) and --scale.
func genFlags(fs *flag.FlagSet, out string) genCommon {
	return genCommon{
		run:     fs.String("run", "", "run folder (config.json and checkpoints) written by latent train"),
		backend: fs.String("backend", "", "backend: xla:cpu, xla:cuda, xla:/path/plugin.so or go (default: $GOMLX_BACKEND, else xla:cpu if installed, else go)"),
		out:     fs.String("o", out, "output file"),
		scale:   fs.Int("scale", 3, "upscale every pixel to a scale×scale block"),
	}
}

// parseGenFlags parses args and checks the shared flags.
func parseGenFlags(fs *flag.FlagSet, args []string, c genCommon) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *c.run == "":
		return errors.New("--run: a run folder is required")
	case *c.out == "":
		return errors.New("-o: an output file is required")
	case *c.scale < 1 || *c.scale > 64:
		return fmt.Errorf("--scale %d: want 1 to 64", *c.scale)
	}
	return checkOutPath("-o", *c.out)
}

// checkOutPath checks, before any work, that the folder of an output file
// given by flag name exists, and that path is not a folder.
func checkOutPath(name, path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("%s %s: the folder %s does not exist", name, path, dir)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("%s %s: is a folder, want a file name", name, path)
	}
	return nil
}

// flagsSet returns the names of the flags given on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// checkCount checks an image count given by flag name.
func checkCount(name string, n int) error {
	if n < 1 || n > maxGenImages {
		return fmt.Errorf("%s %d: want 1 to %d", name, n, maxGenImages)
	}
	return nil
}

// checkTemperature checks --temperature.
func checkTemperature(t float64) error {
	if !(t >= 0) || math.IsInf(t, 0) {
		return fmt.Errorf("--temperature %v: want a finite value >= 0", t)
	}
	return nil
}

// genSession is a loaded run on an opened backend.
type genSession struct {
	b   *backend.Backend
	run *train.Run
	cfg models.Config
}

// openGenSession loads the run in --run, then opens --backend and prints
// its summary on stderr.
func openGenSession(c genCommon, stderr io.Writer) (*genSession, error) {
	run, err := loadRunFolder(*c.run)
	if err != nil {
		return nil, err
	}
	b, err := backend.Open(*c.backend, stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, b.Summary())
	fmt.Fprintf(stderr, "run %s: step %d, %dx%dx%d images, %d latent dimensions\n", run.Dir, run.Step,
		run.Config.Model.Height, run.Config.Model.Width, run.Config.Model.Channels, run.Config.Model.Latent)
	return &genSession{b: b, run: run, cfg: run.Config.Model}, nil
}

func (s *genSession) close() { s.b.Finalize() }

// decode maps codes to images through a decoder compiled once for them.
func (s *genSession) decode(codes []float32) ([]float32, error) {
	d, err := generate.NewDecoder(s.b, s.run.Ctx, s.cfg, generate.BatchFor(len(codes)/s.cfg.Latent))
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	defer d.Finalize()
	return d.Decode(codes)
}

// encode maps images to their posterior means through an encoder compiled
// once for them.
func (s *genSession) encode(images []float32) ([]float32, error) {
	n := len(images) / (s.cfg.Height * s.cfg.Width * s.cfg.Channels)
	e, err := generate.NewEncoder(s.b, s.run.Ctx, s.cfg, generate.BatchFor(n))
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	defer e.Finalize()
	return e.Encode(images)
}

// testSplit loads the test split of the run's data set, or of spec (the
// --data flag) when given, keeping the run's other data settings, and
// checks its images have the model's shape.
func testSplit(cfg train.Config, spec string) (*data.Split, error) {
	set, err := cfg.LoadDataAs(spec)
	if err != nil {
		return nil, fmt.Errorf("data set %s: %w", cmp.Or(spec, cfg.Data.Spec), err)
	}
	if set.Test.N == 0 {
		return nil, fmt.Errorf("data set %s: the test split is empty", set.Name)
	}
	return set.Test, nil
}
