// Command latentbench times the benchmark VAE (models.DefaultConfig without
// the hidden dense layers: 191,265 parameters; with --hidden 256, the default
// model itself: 1,659,169) for `make bench`: training
// images per second after a warm-up, a warm 64-sample decode (median), and
// the negative ELBO on held-out MNIST images after the steps, which
// bench/report.py compares with the PyTorch and JAX twins in bench/torch_vae.py
// and bench/jax_vae.py.
//
// It trains on the first steps×128 MNIST training images in order (no
// shuffle), one batch per step, like the PyTorch side; --init-out writes the
// initial weights so that the twins start from the same. A backend that cannot
// train (GoMLX's pure-Go backend lacks ops for convolution gradients) is
// reported in the JSON as "unsupported: <reason>"; the decode is then timed
// on freshly initialised weights. Usage:
//
//	latentbench --backend xla:cpu --hidden 0 --steps 200 --warmup 20 --json out.json
//
// With --data shapes it trains the colour model instead (the same network
// on package shapes' 32×32 RGB images, --likelihood gaussian or logistic)
// for bench/colour.sh, the parity check of the colour likelihoods: batches
// then wrap around the 2,700 training images (batch s holds images
// s·128 … s·128+127, modulo 2,700), and --images-out writes the training
// images and the evaluated test images as .npy files, so that
// torch_vae.py --images-from reads the very same.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/train"
)

// decodeSamples is the number of latents decoded per timed call.
const decodeSamples = 64

// knownParams are the parameter counts of the models the twins in
// bench/torch_vae.py and bench/jax_vae.py are checked against, by hidden
// units: the benchmark model (models' default without the hidden dense
// layers) and the default model.
var knownParams = map[int]int{0: 191265, 256: 1659169}

// options are latentbench's flags.
type options struct {
	backend       string
	dataDir       string
	hidden        int
	steps, warmup int
	eval          int
	repeats       int
	seed          int64
	jsonPath      string
	initOut       string
	data          string // data.MNIST or data.Shapes
	likelihood    string // the likelihood; "" for the data set's (bernoulli on MNIST)
	imagesOut     string // folder for train.npy and test.npy ("" for none)
}

// result is the JSON written to --json; bench/torch_vae.py writes the same.
type result struct {
	System string         `json:"system"`
	Detail string         `json:"detail"`
	Hidden int            `json:"hidden"` // hidden dense units: 0, the benchmark model
	Params int            `json:"params,omitempty"`
	Train  trainResult    `json:"train"`
	Decode decodeResult   `json:"decode"`
	Eval   *evalResult    `json:"eval,omitempty"`
	Notes  []string       `json:"notes,omitempty"`
	Config *rundir.Config `json:"config,omitempty"`
}

// trainResult is the training part of a result.
type trainResult struct {
	Steps        int       `json:"steps"`
	Warmup       int       `json:"warmup"`
	Batch        int       `json:"batch"`
	ImagesPerSec float64   `json:"images_per_sec,omitempty"`
	FirstStepS   float64   `json:"first_step_s,omitempty"`
	Curve        []float64 `json:"neg_elbo_per_step,omitempty"` // each step's batch negative ELBO
	Error        string    `json:"error,omitempty"`
}

// decodeResult is the decoding part of a result.
type decodeResult struct {
	Samples  int     `json:"samples"`
	Repeats  int     `json:"repeats"`
	MedianMS float64 `json:"median_ms,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// evalResult is the held-out negative ELBO after training, in nats per image.
type evalResult struct {
	Images     int     `json:"images"`
	AfterSteps int     `json:"after_steps"`
	NegELBO    float64 `json:"neg_elbo"`
	Recon      float64 `json:"recon"`
	KL         float64 `json:"kl"`
}

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "latentbench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("latentbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.backend, "backend", "xla:cpu", "GoMLX backend: xla:cpu, xla:/path/to/plugin.so, go, …")
	fs.StringVar(&o.dataDir, "data-dir", "", "folder with the MNIST IDX files (default: data.Load's search)")
	fs.IntVar(&o.hidden, "hidden", 0, "units of the hidden dense layers (0: the benchmark model, 256: the default model)")
	fs.IntVar(&o.steps, "steps", 200, "training steps (batches of 128 in order)")
	fs.IntVar(&o.warmup, "warmup", 20, "steps left out of the timing")
	fs.IntVar(&o.eval, "eval", 1000, "test images for the negative ELBO")
	fs.IntVar(&o.repeats, "decode-repeats", 20, "timed decode calls (the median is reported)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the weights, the noise and the decoded latents")
	fs.StringVar(&o.jsonPath, "json", "", "where to write the result (required)")
	fs.StringVar(&o.initOut, "init-out", "", "also write the initial weights as JSON, for torch_vae.py --init-from")
	fs.StringVar(&o.data, "data", data.MNIST, "data set: mnist, or shapes (the colour model, 32x32 RGB)")
	fs.StringVar(&o.likelihood, "likelihood", "", "shapes: gaussian or logistic (mnist: bernoulli)")
	fs.StringVar(&o.imagesOut, "images-out", "", "also write the training and evaluated test images to this folder as train.npy and test.npy (uint8 NHWC)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if err := o.checkData(); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.jsonPath == "":
		return o, fmt.Errorf("--json: an output path is required")
	case o.steps <= 0 || o.warmup < 0 || o.warmup >= o.steps:
		return o, fmt.Errorf("--steps %d, --warmup %d: want 0 <= warmup < steps", o.steps, o.warmup)
	case o.hidden < 0:
		return o, fmt.Errorf("--hidden %d: must be zero (none) or positive", o.hidden)
	case o.eval <= 0:
		return o, fmt.Errorf("--eval %d: must be positive", o.eval)
	case o.repeats <= 0:
		return o, fmt.Errorf("--decode-repeats %d: must be positive", o.repeats)
	}
	return o, nil
}

// checkData checks --data and --likelihood together.
func (o *options) checkData() error {
	switch {
	case o.data == data.MNIST && o.likelihood != "" && o.likelihood != models.Bernoulli:
		return fmt.Errorf("--likelihood %s: mnist trains the Bernoulli model of the timing bench (the colour likelihoods need --data shapes)", o.likelihood)
	case o.data == data.Shapes && o.likelihood != models.Gaussian && o.likelihood != models.DiscreteLogistic:
		return fmt.Errorf("--likelihood %q: --data shapes needs %s or %s", o.likelihood, models.Gaussian, models.DiscreteLogistic)
	case o.data != data.MNIST && o.data != data.Shapes:
		return fmt.Errorf("--data %q: want %s or %s", o.data, data.MNIST, data.Shapes)
	}
	return nil
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b, err := backend.Open(o.backend, stderr)
	if err != nil {
		return err
	}
	defer b.Finalize()
	fmt.Fprintln(stderr, b.Summary())

	cfg := rundir.DefaultConfig()
	cfg.Model.Hidden = o.hidden // 0, the benchmark model: convolutions straight to the latent
	cfg.Steps, cfg.KLWarmup, cfg.EvalBatch = int64(o.steps), 0, 500
	set, err := data.Load(o.data, data.Options{Dir: o.dataDir})
	if err != nil {
		return fmt.Errorf("loading %s (--data-dir %q): %w", o.data, o.dataDir, err)
	}
	if o.data == data.Shapes {
		cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = set.Train.Height, set.Train.Width, set.Train.Channels
		cfg.Model.Likelihood = o.likelihood
	} else if need := o.steps * cfg.BatchSize; set.Train.N < need {
		return fmt.Errorf("--steps %d: needs %d training images, MNIST has %d", o.steps, need, set.Train.N)
	}
	if set.Test.N < o.eval {
		return fmt.Errorf("--eval %d: %s has %d test images", o.eval, o.data, set.Test.N)
	}
	test := set.Test.Subset(o.eval)
	if o.imagesOut != "" {
		if err := writeImages(o.imagesOut, set.Train, test); err != nil {
			return fmt.Errorf("--images-out %s: %w", o.imagesOut, err)
		}
	}

	res, err := benchmark(b, cfg, o, set.Train, test)
	if err != nil {
		return err
	}
	res.System = "latent " + systemName(b.Config)
	res.Detail = b.Summary()
	res.Config = &cfg
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(o.jsonPath, append(out, '\n')); err != nil {
		return fmt.Errorf("--json %s: %w", o.jsonPath, err)
	}
	summarize(stderr, res)
	return nil
}

// systemName shortens a backend config for the table: a plugin path
// becomes the plugin's short name, e.g. "xla:/…/xla_cuda_plugin.so" is
// "xla:cuda".
func systemName(config string) string {
	name, plugin, ok := strings.Cut(config, ":")
	if !ok {
		return name
	}
	plugin, _, _ = strings.Cut(plugin, ",")
	if i := strings.LastIndexByte(plugin, '/'); i >= 0 {
		plugin = strings.TrimSuffix(plugin[i+1:], ".so")
		for _, affix := range []string{"pjrt_c_api_", "pjrt_plugin_", "pjrt-plugin-", "xla_"} {
			plugin = strings.TrimPrefix(plugin, affix)
		}
		plugin = strings.TrimSuffix(plugin, "_plugin")
	}
	return name + ":" + plugin
}

func summarize(w io.Writer, r result) {
	fmt.Fprintf(w, "%s: train ", r.System)
	if r.Train.Error != "" {
		fmt.Fprint(w, r.Train.Error)
	} else {
		fmt.Fprintf(w, "%.0f img/s", r.Train.ImagesPerSec)
	}
	fmt.Fprint(w, ", decode ")
	if r.Decode.Error != "" {
		fmt.Fprint(w, r.Decode.Error)
	} else {
		fmt.Fprintf(w, "%.2f ms", r.Decode.MedianMS)
	}
	if r.Eval != nil {
		fmt.Fprintf(w, ", test neg ELBO %.2f after %d steps", r.Eval.NegELBO, r.Eval.AfterSteps)
	}
	fmt.Fprintln(w)
}

// benchmark trains, evaluates and times decoding. A backend's failures
// become error strings in the result, so that one unsupported backend does
// not stop the whole benchmark; the error returned is for a benchmark that
// cannot be run at all.
func benchmark(b *backend.Backend, cfg rundir.Config, o options, trainSet, test *data.Split) (result, error) {
	res := result{
		Hidden: cfg.Model.Hidden,
		Train:  trainResult{Steps: o.steps, Warmup: o.warmup, Batch: cfg.BatchSize},
		Decode: decodeResult{Samples: decodeSamples, Repeats: o.repeats},
	}
	ctx, err := newContext(o.seed)
	if err != nil {
		return res, err
	}
	err = catch(func() error { return models.CreateVariables(b, ctx, cfg.Model) })
	res.Params = countParams(ctx)
	if want, ok := knownParams[cfg.Model.Hidden]; ok && o.data == data.MNIST && err == nil && res.Params != want {
		return res, fmt.Errorf("the model has %d parameters, the twins %d", res.Params, want)
	}
	if err == nil && o.initOut != "" {
		if err := writeWeights(o.initOut, ctx); err != nil {
			return res, err
		}
	}
	if err == nil {
		err = trainSteps(b, cfg, ctx, trainSet, &res.Train)
	}
	if err != nil {
		res.Train.Error = failure(b, err)
		// Time the decoder on fresh weights, in a context of its own.
		if ctx, err = newContext(o.seed); err != nil {
			return res, err
		}
	} else {
		res.Eval, err = evaluate(b, ctx, cfg.Model, test, o.steps, o.seed)
		if err != nil {
			res.Notes = append(res.Notes, "evaluation "+failure(b, err))
		}
		ctx = ctx.Reuse()
	}
	ms, err := timeDecode(b, cfg.Model, ctx, o.repeats, o.seed)
	if err != nil {
		res.Decode.Error = failure(b, err)
	} else {
		res.Decode.MedianMS = ms
	}
	return res, nil
}

// newContext is an empty context whose RNG starts from seed.
func newContext(seed int64) (*context.Context, error) {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, fmt.Errorf("--seed %d: %w", seed, err)
	}
	return ctx, nil
}

// evaluate is the negative ELBO on test after steps training steps.
func evaluate(b *backend.Backend, ctx *context.Context, m models.Config, test *data.Split, steps int, seed int64) (*evalResult, error) {
	var l models.Losses
	err := catch(func() error {
		ev, err := eval.NewModel(b, ctx, m)
		if err != nil {
			return err
		}
		defer ev.Finalize()
		l, err = ev.MeanELBO(test.Images(), test.Labels, seed)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &evalResult{Images: test.N, AfterSteps: steps, NegELBO: l.NegELBO, Recon: l.Recon, KL: l.KL}, nil
}

// weight is one trainable variable in the --init-out JSON.
type weight struct {
	Shape  []int     `json:"shape"`
	Values []float32 `json:"values"` // row-major, in GoMLX's layout
}

// writeWeights writes ctx's trainable variables to path as JSON, keyed by
// scope and name (e.g. "/encoder/conv0/conv/weights"). float32 values
// survive the round trip through JSON exactly.
func writeWeights(path string, ctx *context.Context) error {
	ws := map[string]weight{}
	for v := range ctx.IterVariables() {
		if !v.Trainable {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("--init-out %s: %w", path, err)
		}
		vals, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return fmt.Errorf("--init-out %s: variable %s: %w", path, v.ScopeAndName(), err)
		}
		ws[v.ScopeAndName()] = weight{Shape: t.Shape().Dimensions, Values: vals}
	}
	out, err := json.Marshal(ws)
	if err != nil {
		return fmt.Errorf("--init-out %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, out); err != nil {
		return fmt.Errorf("--init-out %s: %w", path, err)
	}
	return nil
}

// trainSteps runs r.Steps training steps on the first r.Steps batches of
// trainSet, in order (wrapping around it), and fills r's timing and loss
// curve.
func trainSteps(b *backend.Backend, cfg rundir.Config, ctx *context.Context, trainSet *data.Split, r *trainResult) error {
	var sess *train.Session
	err := catch(func() (err error) { sess, err = train.NewSession(b, cfg, ctx); return err })
	if err == nil {
		defer sess.Finalize()
	}
	if err != nil {
		return err
	}
	per := trainSet.ImageSize() * cfg.BatchSize
	images := batches(trainSet, r.Steps*cfg.BatchSize) // the batches, in order
	var start time.Time
	for step := range r.Steps {
		if step == r.Warmup {
			start = time.Now()
		}
		t := time.Now()
		err := catch(func() error {
			l, err := sess.Step(images[step*per:(step+1)*per], nil, int64(step))
			if err == nil {
				r.Curve = append(r.Curve, l.NegELBO)
			}
			return err
		})
		if err != nil {
			return err
		}
		if step == 0 {
			r.FirstStepS = time.Since(t).Seconds()
		}
	}
	timed := float64((r.Steps - r.Warmup) * cfg.BatchSize)
	r.ImagesPerSec = timed / time.Since(start).Seconds()
	return nil
}

// batches returns the first n images of trainSet repeated in order, back
// to back in [0, 1]: image i is trainSet's image i mod N.
func batches(trainSet *data.Split, n int) []float32 {
	images := make([]float32, 0, n*trainSet.ImageSize())
	for i := range n {
		images = trainSet.AppendImage(images, i%trainSet.N)
	}
	return images
}

// writeImages writes the training images and the test images to dir as
// train.npy and test.npy, uint8 [N, H, W, C].
func writeImages(dir string, trainSet, test *data.Split) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, s := range map[string]*data.Split{"train.npy": trainSet, "test.npy": test} {
		if err := atomicfile.WriteBytes(filepath.Join(dir, name), npy(s)); err != nil {
			return err
		}
	}
	return nil
}

// npy encodes s's pixels as a NumPy .npy file (format 1.0), uint8
// [N, H, W, C] in C order.
func npy(s *data.Split) []byte {
	header := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }", s.N, s.Height, s.Width, s.Channels)
	// Magic (6), version (2) and length (2), then the header padded with
	// spaces and ended by a newline to a multiple of 64 bytes.
	pad := 63 - (10+len(header))%64
	header += strings.Repeat(" ", pad) + "\n"
	out := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
	out = append(out, header...)
	for i := range s.N {
		out = s.AppendPixels(out, i)
	}
	return out
}

// timeDecode returns the median milliseconds of decoding 64 latents to
// images and copying them to the host, after three untimed calls.
func timeDecode(b *backend.Backend, m models.Config, ctx *context.Context, repeats int, seed int64) (float64, error) {
	var exec *context.Exec
	err := catch(func() (err error) {
		exec, err = context.NewExec(b, ctx, func(ctx *context.Context, z *Node) *Node {
			return models.MeanImage(m, models.Decode(ctx, m, z, nil))
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	z := make([]float32, decodeSamples*m.Latent)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	times := make([]float64, 0, repeats)
	for i := range 3 + repeats {
		t := time.Now()
		err := catch(func() error {
			out, err := exec.Exec(tensors.FromFlatDataAndDimensions(z, decodeSamples, m.Latent))
			if err != nil {
				return err
			}
			_, err = tensors.CopyFlatData[float32](out[0])
			out[0].FinalizeAll()
			return err
		})
		if err != nil {
			return 0, err
		}
		if i >= 3 {
			times = append(times, float64(time.Since(t).Microseconds())/1000)
		}
	}
	return median(times), nil
}

// median of xs, which must not be empty; xs is sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// countParams is the number of trainable values in ctx.
func countParams(ctx *context.Context) int {
	n := 0
	for v := range ctx.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}

// catch runs fn, turning a panic (GoMLX reports some failures so) into an error.
func catch(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return fn()
}

// failure is err's first line for a table cell, labelled "unsupported" on
// the pure-Go backend, which lacks ops (e.g. for convolution gradients), and
// "failed" on XLA, where it is a defect.
func failure(b *backend.Backend, err error) string {
	if b.PluginPath == "" {
		return "unsupported: " + firstLine(err)
	}
	return "failed: " + firstLine(err)
}

// firstLine is err's message up to its first newline, for a table cell,
// without GoMLX's " -- reach out to …" advice.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	s, _, _ = strings.Cut(s, " -- ")
	return s
}
