package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// The flags several commands share, each defined once here.

// backendFlag defines --backend.
func backendFlag(fs *pflag.FlagSet) *string {
	return fs.String("backend", "", "backend: xla:cpu, xla:cuda, xla:/path/plugin.so or go "+
		"(default: $GOMLX_BACKEND, else xla:cuda when its plugin is installed and a GPU is visible, else xla:cpu when its plugin is installed, else go with a warning)")
}

// openBackend opens the backend given by --backend (name), else by
// $GOMLX_BACKEND or the default. Its errors name their source as "backend
// …" or "$GOMLX_BACKEND …"; a flag's gets the flag's dashes.
func openBackend(name string, stderr io.Writer) (*backend.Backend, error) {
	return openBackendDevices(name, 0, stderr)
}

// openBackendDevices is openBackend for a backend of at least devices
// devices (from --devices; see backend.OpenDevices).
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

// runDataFlag defines --data for a command that loads a run: the data set
// used for what use says.
func runDataFlag(fs *pflag.FlagSet, use string) *string {
	return fs.String("data", "", use+runDataDefault)
}

// outFlag defines -o, the output file, defaulting to def; what says what
// is written there, and formats the extensions it takes (see outFormat).
func outFlag(fs *pflag.FlagSet, def, what string, formats ...string) *string {
	return fs.StringP("o", "o", def, fmt.Sprintf("output file: %s (%s; - writes it to stdout)", what, extList(formats)))
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
	fs.StringVar(&d.Dir, "data-dir", d.Dir, "folder holding a named set's files (default: $LATENT_DATA/NAME, ./data/NAME, else ~/.local/share/latent/NAME)")
	fs.IntVar(&d.ImageSize, "image-size", d.ImageSize, "image folders: resize images to N×N (0: keep their size, which must then agree)")
	fs.IntVar(&d.Channels, "channels", d.Channels, "image folders: 1 (grey) or 3 (RGB) (default: from the images, grey when every image is grey, else RGB)")
	fs.Float64Var(&d.TestFraction, "test-fraction", d.TestFraction, "image folders: fraction of images held out for the test split")
	fs.Int64Var(&d.SplitSeed, "split-seed", d.SplitSeed, "image folders: seed of the train/test split")
	fs.BoolVar(&d.SkipBad, "skip-bad", d.SkipBad, "image folders: skip corrupt images instead of failing")
}

// parseRunOut finishes parsing a command that reads the run in --run and
// writes -o in one of formats (args: the operands cobra left), checking
// both are given and -o's folder exists; it returns -o's format.
func parseRunOut(fs *pflag.FlagSet, args []string, run, out *string, formats ...string) (string, error) {
	if err := parseArgs(fs, args); err != nil {
		return "", err
	}
	if *run == "" {
		return "", usagef("--run: a run folder is required")
	}
	return checkOut("-o", *out, formats...)
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
	what := map[string]string{formatPNG: "the image", formatGIF: "the animation"}[format]
	formats := append([]string{format}, more...)
	return genCommon{run: runFlag(fs), backend: backendFlag(fs), out: outFlag(fs, out, what, formats...),
		scale: scaleFlag(fs), formats: formats}
}

// parseGenFlags refuses operands (args) and checks the shared flags.
func parseGenFlags(fs *pflag.FlagSet, args []string, c genCommon) error {
	if _, err := parseRunOut(fs, args, c.run, c.out, c.formats...); err != nil {
		return err
	}
	return vae.CheckScale(*c.scale)
}

// evalCommon holds the flags of the commands that measure a run on a data set.
type evalCommon struct {
	run, data, backend *string
	batch, limit       *int
	seed               *int64
}

// evalFlags defines --run, --data, --backend, --batch, --limit and, for
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

// parseEvalFlags refuses operands (args) and checks the shared flags.
func parseEvalFlags(fs *pflag.FlagSet, args []string, f evalCommon) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	switch {
	case *f.run == "":
		return usagef("--run: a run folder is required")
	case *f.batch < 1:
		return usagef("--batch %d: want at least 1", *f.batch)
	case *f.limit < 0:
		return usagef("--limit %d: want ≥ 0 (0: all)", *f.limit)
	}
	return nil
}

// checkOutPath checks, before any work, that the folder of an output file
// given by flag name exists, and that path is not a folder. "" (none) and
// "-" (stdout) pass.
func checkOutPath(name, path string) error {
	if path == "" || path == stdoutPath {
		return nil
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usagef("%s %s: the folder %s does not exist", name, path, dir)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return usagef("%s %s: is a folder, want a file name", name, path)
	}
	if rundir.IsOwnFile(path) {
		return usagef("%s %s: is one of its run folder's own files; write outputs elsewhere", name, path)
	}
	return nil
}

// flagsSet returns the names of the flags given on the command line.
func flagsSet(fs *pflag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	return set
}
