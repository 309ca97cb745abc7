package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/train"
	"github.com/latent-vae/latent/vae"
)

// trainSynopsis is the help of `latent train` after its synopsis.
const trainSynopsis = `  latent train --out DIR [flags]    train a new run
  latent train --out DIR --resume   continue a run (its config comes from DIR)`

// trainArgs are the flags of `latent train`.
type trainArgs struct {
	cfg          rundir.Config
	opts         train.Options // --out, --resume, --conditional; the flags given, once checked
	widths       string
	levels       string // --levels, an FSQ model's
	backend      *string
	devicesValue *string
}

// trainFlags defines the flags of `latent train` on fs, bound to a
// trainArgs holding the default configuration.
func trainFlags(fs *pflag.FlagSet) *trainArgs {
	a := &trainArgs{cfg: rundir.DefaultConfig()}
	fs.StringVar(&a.opts.Out, "out", "", "run folder to create (or, with --resume, to continue)")
	fs.BoolVar(&a.opts.Resume, "resume", false, "continue the run in --out from its latest checkpoint; no other flag needed")
	a.backend = backendFlag(fs)
	a.devicesValue = devicesFlag(fs, "devices to train on, data-parallel: each takes an equal share of every batch")
	fs.StringVar(&a.widths, "widths", "32,64", "channels of the encoder's stride-2 convolutions, comma-separated")
	fs.StringVar(&a.levels, "levels", "", "vq with --quantizer fsq: the levels of each channel, comma-separated (default 8,5,5,5: 1000 codes)")
	fs.BoolVar(&a.opts.Conditional, "conditional", false, "condition the model on each image's class label (MNIST's digits, an image folder's subfolders), given to encoder and decoder: sample --label then generates a chosen class")
	addTrainFlags(fs, &a.cfg)
	addObjectiveFlags(fs, &a.cfg.Objective)
	return a
}

// trainCommand defines `latent train`'s flags on fs and returns its body, runTrain.
func trainCommand(fs *pflag.FlagSet) cli.RunFunc {
	a := trainFlags(fs)
	return func(_ []string, stdout, stderr io.Writer) error {
		if err := a.check(fs); err != nil {
			return cli.UsageErr(err)
		}
		return runTrain(a, stdout, stderr)
	}
}

// runTrain implements `latent train`.
func runTrain(a *trainArgs, stdout, stderr io.Writer) error {
	b, err := openBackendDevices(*a.backend, a.opts.Devices, stderr)
	if err != nil {
		return err
	}
	defer b.Finalize()
	fmt.Fprintln(stderr, b.Summary())
	if !b.CanTrain() {
		return fmt.Errorf("the pure-Go backend of GoMLX v0.26 cannot train convolutions (it lacks the Reverse op their gradients need); train on XLA: %s", backend.Advice)
	}
	if a.opts.Devices == 0 {
		a.opts.Devices = b.NumDevices()
		if a.opts.OneDevice(a.cfg) {
			a.opts.Devices = 1
		}
	}
	if a.opts.Devices > 1 {
		fmt.Fprintf(stderr, "training data-parallel on %d devices\n", a.opts.Devices)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a.opts.Log, a.opts.Progress = stderr, train.NewReporter(stderr, vae.IsTerminal(stderr), a.cfg.LogEvery)
	res, err := train.Fit(ctx, b, a.cfg, a.opts) // the flags given: a colour set's defaults fill in the others
	a.opts.Progress.Close()
	var finished *train.FinishedError
	switch {
	case errors.Is(err, train.ErrInterrupted):
		fmt.Fprintf(stderr, "latent train: %v; continue with: latent train --out %s --resume\n", err, a.opts.Out)
		return cli.Exit(130)
	case errors.As(err, &finished):
		fmt.Fprint(stdout, finished.Advice(a.opts.Out))
		return nil
	case errors.Is(err, train.ErrRunExists):
		return fmt.Errorf("--out %w; continue it with --resume or choose another folder", err)
	case errors.Is(err, train.ErrDevices):
		return fmt.Errorf("--devices %s: %w", *a.devicesValue, err)
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "trained %s to step %d: test negative ELBO %.2f nats/image (recon %.2f, KL %.2f); %.0f images/s, first step %.2fs\n",
		a.opts.Out, res.Step, res.Test.NegELBO, res.Test.Recon, res.Test.KL, res.ImagesSec, res.FirstStep.Seconds())
	return nil
}

// check validates the parsed flags and completes the config
// (train.Options.Prepare) and the options, with the flags given.
func (a *trainArgs) check(fs *pflag.FlagSet) error {
	var err error
	if a.opts.Devices, err = parseDevices(*a.devicesValue); err != nil {
		return err
	}
	a.opts.Given = cli.Given(fs)
	return a.opts.Prepare(&a.cfg, a.widths, a.levels)
}

// addTrainFlags binds cfg's fields to flags.
func addTrainFlags(fs *pflag.FlagSet, cfg *rundir.Config) {
	bindDataFlags(fs, &cfg.Data)
	fs.BoolVar(&cfg.Data.Binarize, "binarize", false, "dynamically binarize training images (a fresh Bernoulli draw per epoch)")
	fs.IntVar(&cfg.Data.TrainLimit, "train-limit", 0, "train on the first N training images only (0: all)")
	fs.IntVar(&cfg.Data.TestLimit, "test-limit", 0, "evaluate on the first N test images only (0: all)")
	fs.StringVar(&cfg.Model.Model, "model", cfg.Model.Model, "network: "+modelHelp())
	fs.IntVar(&cfg.Model.Blocks, "blocks", 0, "resnet and ladder: residual blocks per resolution (0: 1)")
	fs.StringVar(&cfg.Model.Norm, "norm", "", "resnet and ladder: normalisation of the residual blocks, none (empty) or layer")
	fs.IntVar(&cfg.Model.Groups, "groups", 0, "ladder: stochastic layers, each of --latent/--groups dimensions (0: 2)")
	fs.IntVar(&cfg.Model.PixelWidth, "pixel-width", 0, "give the model a pixel head of this width: an autoregressive likelihood of each pixel given the ones before it (one-channel bernoulli; 0: none)")
	fs.IntVar(&cfg.Model.PixelKernel, "pixel-kernel", 0, "pixel head: the masked window of earlier pixels each pixel sees (odd; 0: 7)")
	fs.IntVar(&cfg.Objective.IWTrain, "iw-train", 0, "train on the importance-weighted bound with K samples per image (IWAE; 0 or 1: the ELBO)")
	fs.Float64Var(&cfg.Objective.FreeBits, "free-bits", 0, "free bits: each latent unit's batch-mean KL counts as at least NATS in the loss (0: off)")
	fs.StringVar(&cfg.Objective.LRSchedule, "lr-schedule", "", "learning-rate schedule: constant (empty) or cosine (decay to 0 at the run's end)")
	fs.Int64Var(&cfg.Objective.WarmupSteps, "warmup-steps", 0, "steps over which the learning rate rises linearly to --lr")
	fs.Float64Var(&cfg.Objective.EMA, "ema", 0, "keep a moving average of the weights with this decay (e.g. 0.999), used by eval, sample and the other commands (0: off)")
	fs.StringVar(&cfg.Model.Quantizer, "quantizer", "", "vq: the quantiser, vq (a learned codebook) or fsq (finite scalar quantisation; empty: vq)")
	fs.IntVar(&cfg.Model.Codebook, "codebook", 0, fmt.Sprintf("vq: the codebook's number of codes K (0: %d)", models.DefaultCodebook))
	fs.StringVar(&cfg.Model.CodebookUpdate, "codebook-update", "", "vq: how the codebook learns, ema (moving averages, decay 0.99) or gradient (empty: ema)")
	fs.BoolVar(&cfg.Model.NoRestarts, "no-restarts", false, "vq: do not re-seed unused codes from the encoder's outputs (dead-code restarts)")
	fs.IntVar(&cfg.Model.Latent, "latent", cfg.Model.Latent, "latent dimensions (vq: the dimension of each code vector)")
	fs.IntVar(&cfg.Model.Hidden, "hidden", cfg.Model.Hidden, "units of a dense layer between the convolutions and the latent, each side (0: none)")
	fs.IntVar(&cfg.Model.Kernel, "kernel", cfg.Model.Kernel, "convolution kernel size (odd)")
	fs.StringVar(&cfg.Model.Upsample, "upsample", cfg.Model.Upsample, "decoder upsampling: nearest or depth-to-space")
	fs.StringVar(&cfg.Model.Likelihood, "likelihood", cfg.Model.Likelihood, "bernoulli (grey or binarized images), gaussian, or logistic (discretised, for 8-bit RGB or grey)"+colourNote("likelihood"))
	fs.Float64Var(&cfg.Model.Beta, "beta", cfg.Model.Beta, "weight of the KL term (β-VAE)")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "training batch size"+colourNote("batch-size"))
	fs.Int64Var(&cfg.Steps, "steps", 0, "total training steps of the run (overrides --epochs)")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "total training epochs of the run (default 10 when --steps is not given)")
	fs.Int64Var(&cfg.KLWarmup, "kl-warmup", 0, "steps over which the KL weight rises linearly from 0 to --beta")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "random seed (initialisation, batches, noise)")
	fs.Int64Var(&cfg.SaveEvery, "save-every", cfg.SaveEvery, "steps between checkpoints (also saved at the end and on Ctrl-C)")
	fs.IntVar(&cfg.Keep, "keep", cfg.Keep, "checkpoints to keep")
	fs.Int64Var(&cfg.LogEvery, "log-every", cfg.LogEvery, "steps between rows of metrics.csv")
	fs.IntVar(&cfg.EvalBatch, "eval-batch", cfg.EvalBatch, "batch size of test evaluation")
	fs.Int64Var(&cfg.EvalEvery, "eval-every", 0, fmt.Sprintf("steps between test evaluations (default: an epoch, but at least %d steps)", rundir.MinEvalEvery))
	fs.StringVar(&cfg.Init, "init", "", "start from the weights of another run folder (fine-tuning)")
}

// modelHelp lists the registered networks with what each is: "conv
// (…), resnet (…) or ladder (…)".
func modelHelp() string {
	var parts []string
	for _, m := range models.Models() {
		parts = append(parts, fmt.Sprintf("%s (%s)", m.Name, m.Help))
	}
	return suggest.Either(parts)
}

// colourNote ends the help of a flag with a colour default: what a new run
// on colour images takes when the flag is not given.
func colourNote(flag string) string {
	return fmt.Sprintf("; a new run on colour images takes %s unless given", rundir.ColourDefault(flag))
}
