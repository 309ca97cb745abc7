package main

import (
	"errors"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// The flags several commands share, each defined once here.

// backendFlag defines --backend.
func backendFlag(fs *pflag.FlagSet) *string {
	return fs.String("backend", "", "backend: xla:cpu, xla:cuda, xla:/path/plugin.so or go "+
		"(default: $GOMLX_BACKEND, else xla:cuda when its plugin is installed and a GPU is visible, else xla:cpu when its plugin is installed, else go with a warning)")
}

// openBackendDevices opens the backend given by --backend (name), else by
// $GOMLX_BACKEND or the default, of at least devices devices (from
// --devices; see backend.OpenDevices). Its errors name their source as
// "backend …" or "$GOMLX_BACKEND …"; a flag's gets the flag's dashes.
func openBackendDevices(name string, devices int, stderr io.Writer) (*backend.Backend, error) {
	b, err := backend.OpenDevices(name, devices, stderr)
	switch {
	case errors.Is(err, backend.ErrTooFewDevices):
		return nil, fmt.Errorf("--devices %d: %w", devices, err)
	case err != nil && name != "":
		return nil, fmt.Errorf("--%w", err)
	}
	return b, err
}

// devicesFlag defines --devices.
func devicesFlag(fs *pflag.FlagSet, usage string) *string {
	return fs.String("devices", "1", usage+`: a number, or "all" for every device the backend presents `+
		"(XLA CPU: 4 host devices by default; a number above 1 sets how many it presents)")
}

// parseDevices reads a --devices value: a positive number, or 0 for "all".
func parseDevices(s string) (int, error) {
	if s == "all" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("--devices %q: want a positive number of devices or all", s)
	}
	return n, nil
}

// runFlag defines --run.
func runFlag(fs *pflag.FlagSet) *string {
	return fs.String("run", "", "run folder (config.json and checkpoints) written by latent train")
}

// runDataDefault ends the usage of a run command's --data: what its
// default is, and what it keeps from the run.
const runDataDefault = " (default: the run's own; folders are read with the run's image size and channels)"

// dataDirUsage says what --data-dir is, in every command that takes it.
const dataDirUsage = "folder holding a named set's files (default: $LATENT_DATA/NAME, ./data/NAME, else ~/.local/share/latent/NAME; " +
	"a run's own set: the --data-dir it was trained with, when given)"

// runDataFlags holds --data and --data-dir of a command that loads a run.
type runDataFlags struct{ spec, dir *string }

// runDataFlag defines --data and --data-dir for a command that loads a
// run: the data set used for what use says, and the folder of its files.
func runDataFlag(fs *pflag.FlagSet, use string) runDataFlags {
	return runDataFlags{spec: fs.String("data", "", use+runDataDefault),
		dir: fs.String("data-dir", "", dataDirUsage)}
}

// open opens the run in runDir on the backend name (vae.Open), reading its
// data sets' files from --data-dir when given.
func (d runDataFlags) open(runDir, name string, stderr io.Writer) (*vae.Session, error) {
	s, err := vae.Open(runDir, name, stderr)
	if err == nil {
		s.DataDir = *d.dir
	}
	return s, err
}

// scaleFlag defines --scale.
func scaleFlag(fs *pflag.FlagSet) *int {
	return fs.Int("scale", 3, "upscale every pixel to a scale×scale block (1 to 64)")
}

// bindDataFlags binds the flags that choose and read a data set to d's
// fields: `latent data` and `latent train` share them, so both read a
// folder into the same split.
func bindDataFlags(fs *pflag.FlagSet, d *rundir.DataConfig) {
	fs.StringVar(&d.Spec, "data", d.Spec, "data set: mnist, fashion-mnist, kmnist, emnist-<split>, "+data.Shapes+" (generated colour shapes), "+data.Sprites+" (generated dSprites, with factors), or a folder of IDX files or images")
	fs.StringVar(&d.Dir, "data-dir", d.Dir, dataDirUsage)
	fs.IntVar(&d.ImageSize, "image-size", d.ImageSize, "image folders: resize images to N×N (0: keep their size, which must then agree)")
	fs.IntVar(&d.Channels, "channels", d.Channels, "image folders: 1 (grey) or 3 (RGB) (default: from the images, grey when every image is grey, else RGB)")
	fs.Float64Var(&d.TestFraction, "test-fraction", d.TestFraction, "image folders: fraction of images held out for the test split")
	fs.Int64Var(&d.SplitSeed, "split-seed", d.SplitSeed, "image folders: seed of the train/test split")
	fs.BoolVar(&d.SkipBad, "skip-bad", d.SkipBad, "image folders: skip corrupt images instead of failing")
}

// needRun refuses a command line without --run (run).
func needRun(run string) error {
	if run == "" {
		return cli.Usagef("--run: a run folder is required")
	}
	return nil
}

// checkRunOut checks that --run (run) and -o (out, in one of formats) are
// given and -o's folder exists; it returns -o's format.
func checkRunOut(run, out string, formats ...string) (string, error) {
	if err := needRun(run); err != nil {
		return "", err
	}
	return cli.CheckOut("-o", out, ownFile, formats...)
}

// ownFile refuses a run folder's own files as outputs (cli.CheckOut's
// protect): it says why, or "".
func ownFile(path string) string {
	if rundir.IsOwnFile(path) {
		return "is one of its run folder's own files; write outputs elsewhere"
	}
	return ""
}

// genCommon holds the flags of the commands that draw images from a run.
type genCommon struct {
	run, backend, out *string
	scale             *int
	formats           []string // -o takes: png or gif, first
}

// genFlags defines --run, --backend, -o and --scale. The output defaults
// to out, whose extension (png or gif) is the format -o takes, with the
// formats more.
func genFlags(fs *pflag.FlagSet, out string, more ...string) genCommon {
	format := strings.TrimPrefix(filepath.Ext(out), ".")
	what := map[string]string{cli.FormatPNG: "the image", cli.FormatGIF: "the animation"}[format]
	formats := append([]string{format}, more...)
	return genCommon{run: runFlag(fs), backend: backendFlag(fs), out: cli.OutFlag(fs, out, what, formats...),
		scale: scaleFlag(fs), formats: formats}
}

// check checks the shared flags.
func (c genCommon) check() error {
	if _, err := checkRunOut(*c.run, *c.out, c.formats...); err != nil {
		return err
	}
	return vae.CheckScale(*c.scale)
}

// evalCommon holds the flags of the commands that measure a run on a data set.
type evalCommon struct {
	run, backend *string
	data         runDataFlags
	batch, limit *int
	seed         *int64
}

// evalFlags defines --run, --data, --data-dir, --backend, --batch, --limit and, for
// commands that draw random samples (random), --seed.
func evalFlags(fs *pflag.FlagSet, random bool) evalCommon {
	c := evalCommon{
		run:     runFlag(fs),
		data:    runDataFlag(fs, "data set to evaluate on"),
		backend: backendFlag(fs),
		batch:   fs.Int("batch", eval.DefaultBatch, "decoder passes per graph call, which bounds memory"),
		limit:   fs.Int("limit", 0, "use only the first N test images (0: all)"),
	}
	if random {
		// The default binarizes the test split as training's test columns do.
		c.seed = fs.Int64("seed", rundir.TestBinarizeSeed, "seed of the random draws")
	}
	return c
}

// check checks the shared flags.
func (f evalCommon) check() error {
	switch {
	case *f.run == "":
		return needRun(*f.run)
	case *f.batch < 1:
		return cli.Usagef("--batch %d: want at least 1", *f.batch)
	case *f.limit < 0:
		return cli.Usagef("--limit %d: want ≥ 0 (0: all)", *f.limit)
	}
	return nil
}

// open opens the run of --run on --backend (vae.Open) with its data set
// (--data, else the run's, from --data-dir when given) and test split (the
// first --limit images).
func (f evalCommon) open(stderr io.Writer) (*vae.Session, *data.Set, *data.Split, error) {
	s, err := f.data.open(*f.run, *f.backend, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	set, err := s.DataSet(*f.data.spec, "--data")
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	return s, set, vae.LimitSplit(set.Test, *f.limit), nil
}

// open opens the run of --run on --backend (vae.Open), with its messages
// on stderr.
func (c genCommon) open(stderr io.Writer) (*vae.Session, error) {
	return vae.Open(*c.run, *c.backend, stderr)
}

// writePNG writes img to -o and says so, with what it shows.
func (c genCommon) writePNG(img image.Image, stdout, stderr io.Writer, what string) error {
	if err := cli.WritePNG(*c.out, stdout, img); err != nil {
		return err
	}
	cli.Wrote(*c.out, stdout, stderr, "%s", what)
	return nil
}
