package train

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/models"
)

// Config is everything a run needs, saved as config.json in its folder and in
// every checkpoint, so that resuming, sampling and evaluating need only the
// run folder.
type Config struct {
	Model models.Config `json:"model"`
	Data  DataConfig    `json:"data"`

	Seed      int64   `json:"seed"`
	LR        float64 `json:"lr"`
	BatchSize int     `json:"batch_size"`
	// Steps is the run's total number of training steps (from --steps, or
	// --epochs times the steps per epoch); a resumed run stops there too.
	Steps     int64  `json:"steps"`
	Epochs    int    `json:"epochs,omitempty"`
	KLWarmup  int64  `json:"kl_warmup"`      // steps over which the KL weight rises linearly from 0 to Beta
	SaveEvery int64  `json:"save_every"`     // steps between checkpoints (0: only at the end)
	Keep      int    `json:"keep"`           // checkpoints kept
	LogEvery  int64  `json:"log_every"`      // steps between rows of metrics.csv
	EvalBatch int    `json:"eval_batch"`     // batch size of test-split evaluation
	Init      string `json:"init,omitempty"` // run folder whose weights started this run
}

// DataConfig says which images a run trains on, as data.Load reads them.
type DataConfig struct {
	Spec         string  `json:"spec"` // "mnist", "fashion-mnist", …, or a folder
	Dir          string  `json:"dir,omitempty"`
	ImageSize    int     `json:"image_size,omitempty"`
	Channels     int     `json:"channels,omitempty"`
	TestFraction float64 `json:"test_fraction,omitempty"`
	Binarize     bool    `json:"binarize,omitempty"`    // dynamic binarization of training batches
	TrainLimit   int     `json:"train_limit,omitempty"` // use only the first N training images (0: all)
	TestLimit    int     `json:"test_limit,omitempty"`  // use only the first N test images (0: all)
}

// DefaultConfig is the configuration of `latent train` without flags.
func DefaultConfig() Config {
	return Config{
		Model: models.DefaultConfig(),
		Data:  DataConfig{Spec: "mnist"},
		Seed:  1, LR: 1e-3, BatchSize: 128,
		SaveEvery: 500, Keep: 3, LogEvery: 50, EvalBatch: 500,
	}
}

// Options turns the data part of a config into data.Load's options.
func (d DataConfig) Options(seed int64) data.Options {
	return data.Options{Dir: d.Dir, ImageSize: d.ImageSize, Channels: d.Channels,
		TestFraction: d.TestFraction, Seed: seed}
}

// LoadData loads the run's data set, limited as the config says.
func (c Config) LoadData() (*data.Set, error) {
	set, err := data.Load(c.Data.Spec, c.Data.Options(c.Seed))
	if err != nil {
		return nil, err
	}
	if c.Data.TrainLimit > 0 && c.Data.TrainLimit < set.Train.N {
		set.Train = set.Train.Subset(c.Data.TrainLimit)
	}
	if c.Data.TestLimit > 0 && c.Data.TestLimit < set.Test.N {
		set.Test = set.Test.Subset(c.Data.TestLimit)
	}
	return set, nil
}

// LoadDataAs loads the data set spec with the run's other data settings
// (the run's own set when spec is empty or the same) and checks that every
// non-empty split holds images of the model's shape. Errors do not name
// spec: callers prefix the flag that gave it.
func (c Config) LoadDataAs(spec string) (*data.Set, error) {
	if spec != "" && spec != c.Data.Spec {
		c.Data.Spec = spec
		c.Data.Dir = "" // the run's folder belongs to its own data set
	}
	set, err := c.LoadData()
	if err != nil {
		return nil, err
	}
	m := c.Model
	for _, s := range []*data.Split{set.Train, set.Test} {
		if s.N > 0 && (s.Height != m.Height || s.Width != m.Width || s.Channels != m.Channels) {
			return nil, fmt.Errorf("its images are %dx%dx%d (height×width×channels) but the model takes %dx%dx%d",
				s.Height, s.Width, s.Channels, m.Height, m.Width, m.Channels)
		}
	}
	return set, nil
}

// Run is a trained run loaded for inference.
type Run struct {
	Dir    string
	Config Config
	Step   int64            // global step of the checkpoint loaded
	Ctx    *context.Context // variables restored; build graphs on Ctx.Reuse()
}

// LoadRun reads dir's config.json and restores its latest checkpoint.
func LoadRun(dir string) (*Run, error) {
	var cfg Config
	if err := checkpoints.ReadConfig(dir, &cfg); err != nil {
		return nil, err
	}
	if err := cfg.Model.Validate(); err != nil {
		return nil, fmt.Errorf("%s: model: %w", filepath.Join(dir, checkpoints.ConfigFile), err)
	}
	ck, _, err := checkpoints.Latest(dir)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	ctx := context.New()
	if err := ck.Restore(ctx); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	return &Run{Dir: dir, Config: cfg, Step: ck.Step, Ctx: ctx}, nil
}
