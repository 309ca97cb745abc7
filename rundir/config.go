// Package runs is the home of a run folder: its configuration (one struct,
// saved as config.json and inside every checkpoint), the names of its files,
// the columns of its metrics table, and loading a trained run with its
// weights for sampling and evaluation. Commands that only read a run import
// this package, not the trainer.
package rundir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/models"
)

// ConfigFile is the name of a run's configuration inside its folder.
const ConfigFile = "config.json"

// Config is everything a run needs, saved as config.json in its folder and in
// every checkpoint, so that resuming, sampling and evaluating need only the
// run folder.
type Config struct {
	Model models.Config `json:"model"`
	Data  DataConfig    `json:"data"`

	Seed      int64   `json:"seed"`
	LR        float64 `json:"lr"`
	BatchSize int     `json:"batch_size"`
	// Steps is the run's total number of training steps (given, or Epochs
	// times the steps per epoch); a resumed run stops there too.
	Steps     int64 `json:"steps"`
	Epochs    int   `json:"epochs,omitempty"`
	KLWarmup  int64 `json:"kl_warmup"`  // steps over which the KL weight rises linearly from 0 to Beta
	SaveEvery int64 `json:"save_every"` // steps between checkpoints (0: only at the end)
	Keep      int   `json:"keep"`       // checkpoints kept
	LogEvery  int64 `json:"log_every"`  // steps between rows of metrics.csv
	EvalBatch int   `json:"eval_batch"` // batch size of test-split evaluation
	// EvalEvery is the steps between test-split evaluations; 0: an epoch,
	// but at least MinEvalEvery steps (see EvalInterval).
	EvalEvery int64  `json:"eval_every,omitempty"`
	Init      string `json:"init,omitempty"` // run folder whose weights started this run

	Objective Objective `json:"objective,omitzero"`
	// Classes names the classes of a conditional model (Model.Classes of
	// them), label i being Classes[i]: "0" to "9" for MNIST, the subfolder
	// names of an image folder. Empty for an unconditional model.
	Classes []string `json:"classes,omitempty"`
}

// Learning-rate schedules (Objective.LRSchedule).
const (
	ConstantLR = ""       // the learning rate throughout, after the warm-up
	CosineLR   = "cosine" // cosine decay to zero over the run's steps, after the warm-up
)

// Objective is how a run's loss and weights are formed beyond the model's
// ELBO; its zero value is the plain ELBO with a constant learning rate (the
// only objective of runs saved before it existed).
type Objective struct {
	// IWTrain, when above 1, trains on the importance-weighted bound with
	// that many samples per image (IWAE, Burda et al. 2016).
	IWTrain int `json:"iw_train,omitempty"`
	// FreeBits, when positive, is the least KL in nats that each latent
	// unit's batch-mean KL counts for in the loss (Kingma et al. 2016).
	FreeBits float64 `json:"free_bits,omitempty"`
	// LRSchedule is ConstantLR or CosineLR.
	LRSchedule string `json:"lr_schedule,omitempty"`
	// WarmupSteps is the number of first steps over which the learning
	// rate rises linearly to LR.
	WarmupSteps int64 `json:"warmup_steps,omitempty"`
	// EMA, in (0, 1), keeps an exponential moving average of the weights
	// with this decay, which evaluation and sampling use (see Load).
	EMA float64 `json:"ema,omitempty"`

	// The disentangling objectives (objective.go, checked by Check): each
	// field is the `latent train` flag of its JSON name, with _ as -, but
	// Kind (--objective) and TrainSize (no flag: train.Fit sets it).

	// Kind is the training objective: ELBOObjective (empty: the ELBO with
	// β = Model.Beta), BetaTCVAE or FactorVAE.
	Kind string `json:"kind,omitempty"`
	// Alpha is β-TCVAE's weight of the index-code mutual information
	// (1 in Chen et al. 2018; 0 drops the term).
	Alpha float64 `json:"alpha,omitempty"`
	// Gamma is β-TCVAE's weight of the dimension-wise KL, FactorVAE's
	// weight of its total correlation, and capacity annealing's weight of
	// |KL − C| (Pythae's and disentanglement_lib's names).
	Gamma float64 `json:"gamma,omitempty"`
	// TCEstimator is β-TCVAE's estimator of log q(z): MSS (minibatch
	// stratified sampling) or MWS (minibatch weighted sampling).
	TCEstimator string `json:"tc_estimator,omitempty"`
	// TrainSize is N, the training split's size, which β-TCVAE's
	// estimators weigh a batch by; train.Fit sets it for a new run.
	TrainSize int `json:"train_size,omitempty"`
	// Capacity, when positive, is C_max in nats: the loss is
	// Recon + Gamma·|KL − C| with C raised linearly from 0 to Capacity
	// over CapacitySteps steps (Burgess et al. 2018).
	Capacity      float64 `json:"capacity,omitempty"`
	CapacitySteps int64   `json:"capacity_steps,omitempty"`
	// DiscriminatorLayers and DiscriminatorWidth are the hidden layers of
	// FactorVAE's discriminator, an MLP on codes, and their units;
	// DiscriminatorLR is the learning rate of its own Adam.
	DiscriminatorLayers int     `json:"discriminator_layers,omitempty"`
	DiscriminatorWidth  int     `json:"discriminator_width,omitempty"`
	DiscriminatorLR     float64 `json:"discriminator_lr,omitempty"`
}

// Validate reports the first problem with o, naming the field.
func (o Objective) Validate() error {
	switch {
	case o.IWTrain < 0:
		return fmt.Errorf("IW training samples %d: want 0 or 1 (the ELBO) or more", o.IWTrain)
	case o.FreeBits < 0 || math.IsNaN(o.FreeBits) || math.IsInf(o.FreeBits, 0):
		return fmt.Errorf("free bits %v: want a non-negative number of nats", o.FreeBits)
	case o.FreeBits > 0 && o.IWTrain > 1:
		return errors.New("free bits shape the ELBO's KL term: they cannot be combined with training on the IW bound")
	case o.LRSchedule != ConstantLR && o.LRSchedule != CosineLR:
		return fmt.Errorf("learning-rate schedule %q: want constant (empty) or %q", o.LRSchedule, CosineLR)
	case o.WarmupSteps < 0:
		return fmt.Errorf("warm-up steps %d: must not be negative", o.WarmupSteps)
	case o.EMA < 0 || o.EMA >= 1 || math.IsNaN(o.EMA):
		return fmt.Errorf("EMA decay %v: want 0 (none) or a number in (0, 1)", o.EMA)
	}
	return nil
}

// MinEvalEvery is the fewest steps between the test evaluations of a run
// that does not set EvalEvery: a small set's epochs are a few steps each.
const MinEvalEvery = 50

// EvalInterval returns the steps between test evaluations for epochs of
// perEpoch steps: EvalEvery, else an epoch but at least MinEvalEvery.
func (c Config) EvalInterval(perEpoch int64) int64 {
	if c.EvalEvery > 0 {
		return c.EvalEvery
	}
	return max(perEpoch, MinEvalEvery)
}

// DataConfig says which images a run uses and how they are read; `latent
// data` and `latent train` bind the same fields to the same flags, so both
// see the same split of a folder.
type DataConfig struct {
	Spec      string `json:"spec"` // "mnist", "fashion-mnist", …, or a folder
	Dir       string `json:"dir,omitempty"`
	ImageSize int    `json:"image_size,omitempty"`
	Channels  int    `json:"channels,omitempty"`
	// TestFraction is the share of an image folder's (or shapes') images
	// held out for the test split; a set with a fixed split (see Recorded)
	// records its own.
	TestFraction float64 `json:"test_fraction,omitempty"`
	// SplitSeed seeds an image folder's train/test split. Runs saved before
	// it existed split with their run seed, and keep doing so.
	SplitSeed  int64 `json:"split_seed"`
	SkipBad    bool  `json:"skip_bad,omitempty"`    // image folders: skip corrupt images
	Binarize   bool  `json:"binarize,omitempty"`    // dynamic binarization of training batches
	TrainLimit int   `json:"train_limit,omitempty"` // use only the first N training images (0: all)
	TestLimit  int   `json:"test_limit,omitempty"`  // use only the first N test images (0: all)
}

// TestBinarizeSeed seeds the binarization of the test split in a run
// trained on binarized images. It is `latent eval`'s default --seed, so
// metrics.csv's test columns and `latent eval --binarize` score the same
// binarized test images.
const TestBinarizeSeed = 1

// TrainPixels returns the training split's pixels as the run learned from
// them: in [0, 1], or, for a run trained on binarized images, binarized
// once with the run's seed (the seed of its training batches' draws), so
// that what is fitted to the run's codes after training (a prior) sees
// the codes of images like those the decoder was trained on.
func (c Config) TrainPixels(train *data.Split) []float32 {
	if c.Data.Binarize {
		return data.Binarize(train.Images(), c.Seed)
	}
	return train.Images()
}

// TestPixels returns the test split's pixels as the run's training scores
// them: in [0, 1], or binarized once (seeded by TestBinarizeSeed) when the
// run trains on binarized images, the literature's protocol.
func (c Config) TestPixels(test *data.Split) []float32 {
	if c.Data.Binarize {
		return data.Binarize(test.Images(), TestBinarizeSeed)
	}
	return test.Images()
}

// DefaultConfig is the configuration of `latent train` without flags.
func DefaultConfig() Config {
	return Config{
		Model: models.DefaultConfig(),
		Data:  DefaultDataConfig(),
		Seed:  1, LR: 1e-3, BatchSize: 128,
		SaveEvery: 500, Keep: 3, LogEvery: 50, EvalBatch: 500,
	}
}

// DefaultDataConfig is MNIST, and for folders a 0.1 test fraction split
// with seed 1.
func DefaultDataConfig() DataConfig {
	return DataConfig{Spec: data.MNIST, TestFraction: 0.1, SplitSeed: 1} // Channels 0: from the images
}

// Load loads the data set, limited as the config says.
func (d DataConfig) Load() (*data.Set, error) {
	set, err := data.Load(d.Spec, data.Options{Dir: d.Dir, ImageSize: d.ImageSize, Channels: d.Channels,
		TestFraction: d.TestFraction, Seed: d.SplitSeed, SkipBad: d.SkipBad})
	if err != nil {
		return nil, err
	}
	if d.TrainLimit > 0 && d.TrainLimit < set.Train.N {
		set.Train = set.Train.Subset(d.TrainLimit)
	}
	if d.TestLimit > 0 && d.TestLimit < set.Test.N {
		set.Test = set.Test.Subset(d.TestLimit)
	}
	return set, nil
}

// Recorded returns d as a new run saves it: a set that is split by
// settings of its own (data.FixedSplit) records the test fraction and split
// seed it is really split with, not the flags' values, which do not apply
// to it. Any other set's d is returned unchanged.
func (d DataConfig) Recorded() DataConfig {
	if fraction, seed, ok := data.FixedSplit(d.Spec); ok {
		d.TestFraction, d.SplitSeed = fraction, seed
	}
	return d
}

// Absolute returns d with its folder paths made absolute, so that a run
// saved with relative paths reads the same images from any working folder.
func (d DataConfig) Absolute() (DataConfig, error) {
	spec, err := data.AbsSpec(d.Spec)
	if err != nil {
		return d, err
	}
	d.Spec = spec
	if d.Dir != "" {
		if d.Dir, err = filepath.Abs(d.Dir); err != nil {
			return d, fmt.Errorf("data folder %s: %w", d.Dir, err)
		}
	}
	return d, nil
}

// LoadDataAs loads the data set spec with the run's other data settings
// (the run's own set when spec is empty or the same), a named set's files
// from dir when it is given (--data-dir) in place of the folder the run
// recorded, and checks that its images have the model's shape. Errors do
// not name spec: callers prefix the flag that gave it.
func (c Config) LoadDataAs(spec, dir string) (*data.Set, error) {
	d := c.Data
	if spec != "" && spec != d.Spec {
		if _, _, fixed := data.FixedSplit(d.Spec); fixed { // the run's split settings are its set's own
			def := DefaultDataConfig()
			d.TestFraction, d.SplitSeed = def.TestFraction, def.SplitSeed
		}
		d.Spec = spec
		d.Dir = "" // the run's folder belongs to its own data set
	}
	if dir != "" {
		d.Dir = dir
	}
	set, err := d.Load()
	if err != nil {
		return nil, err
	}
	return set, c.CheckImages(set)
}

// WriteConfig writes cfg as dir/config.json, atomically.
func WriteConfig(dir string, cfg Config) error {
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ConfigFile), append(raw, '\n'))
}

// ReadConfig reads dir/config.json, rejecting unknown fields.
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Config{}, fmt.Errorf("%s is not a run folder: %s is missing", dir, ConfigFile)
		}
		return Config{}, fmt.Errorf("reading %s: %w", path, err)
	}
	cfg, err := DecodeConfig(raw)
	if err != nil {
		return Config{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return cfg, nil
}

// DecodeConfig decodes a config as config.json and checkpoints hold it,
// rejecting unknown fields and filling what older runs did not record.
func DecodeConfig(raw []byte) (Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, err
	}
	var recorded struct {
		Data struct {
			SplitSeed *int64 `json:"split_seed"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &recorded); err == nil && recorded.Data.SplitSeed == nil {
		cfg.Data.SplitSeed = cfg.Seed
	}
	return cfg, nil
}
