package rundir

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/runlock"
)

// MetricsFile is the name of a run's per-step metrics table.
const MetricsFile = "metrics.csv"

// MetricsSplits and MetricsTerms name the loss columns of metrics.csv:
// "<split>_<term>", in nats per image.
func MetricsSplits() []string { return []string{"train", "test"} }

// MetricsTerms are the objective's terms logged per split (see MetricsSplits).
func MetricsTerms() []string { return []string{"neg_elbo", "recon", "kl"} }

// MetricsColumns are the columns of metrics.csv, in order: step and epoch,
// the loss columns (the training terms are means over the steps since the
// previous row, the test terms are filled where the test split was
// evaluated), throughput and elapsed seconds.
func MetricsColumns() []string {
	cols := []string{"step", "epoch"}
	for _, split := range MetricsSplits() {
		for _, term := range MetricsTerms() {
			cols = append(cols, split+"_"+term)
		}
	}
	return append(cols, "images_per_sec", "elapsed_s")
}

// IsRunFolder reports whether dir holds a run (its config.json).
func IsRunFolder(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, ConfigFile))
	return err == nil && info.Mode().IsRegular()
}

// IsOwnFile reports whether path names a file a run folder keeps for
// itself (its config, metrics, checkpoints, lock, and their temporary files)
// inside a folder that holds a run: outputs must not be written there.
func IsOwnFile(path string) bool {
	dir, base := filepath.Split(filepath.Clean(path))
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err != nil {
		return false
	}
	switch {
	case base == ConfigFile, base == MetricsFile, base == runlock.FileName:
		return true
	case strings.HasPrefix(base, "ckpt-") && strings.HasSuffix(base, ".latent"):
		return true
	}
	return false
}

// LayerKLColumns are the columns that metrics.csv adds, after
// MetricsColumns, for a model of several stochastic layers: the KL of each
// layer (1 the top), training means then test values. None for one layer,
// whose KL is the kl columns'.
func LayerKLColumns(layers int) []string {
	if layers < 2 {
		return nil
	}
	var cols []string
	for _, split := range MetricsSplits() {
		for i := range layers {
			cols = append(cols, fmt.Sprintf("%s_kl%d", split, i+1))
		}
	}
	return cols
}

// QuantizerColumns are the columns that metrics.csv adds, after the
// layers' KL columns, for a quantised model (a vq run): the training
// steps' mean commitment term, codebook perplexity and fraction of codes
// used (each step's batch), then the test split's perplexity and codes
// used. None for another model.
func QuantizerColumns(quantized bool) []string {
	if !quantized {
		return nil
	}
	return []string{"train_commitment", "train_perplexity", "train_codes_used", "test_perplexity", "test_codes_used"}
}

// EMAScope is the scope of a run's weight averages (Objective.EMA): the
// average of the variable at scope S is the variable of the same name at
// scope EMAScope+S. It starts at zero and is updated after every step.
const EMAScope = "/ema"

// Run is a trained run loaded for inference.
type Run struct {
	Dir    string
	Config Config
	Step   int64            // global step of the checkpoint loaded
	Ctx    *context.Context // variables restored; build graphs on Ctx.Reuse()
	// Skipped describes newer checkpoints that were damaged and passed over.
	Skipped []string
	// Averaged is true when Ctx's weights are the run's moving averages
	// (Objective.EMA), which Load puts in place of the trained weights.
	Averaged bool
}

// Load reads dir's config.json, checks its model, and restores its latest
// checkpoint that reads back whole.
func Load(dir string) (*Run, error) {
	cfg, ck, skipped, err := LoadCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	if err := ck.Restore(ctx); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	r := &Run{Dir: dir, Config: cfg, Step: ck.Step, Ctx: ctx, Skipped: skipped}
	if cfg.Objective.EMA > 0 && ck.Step > 0 {
		if err := UseAverages(ctx, cfg.Objective.EMA, ck.Step); err != nil {
			return nil, fmt.Errorf("run %s: %w", dir, err)
		}
		r.Averaged = true
	}
	return r, nil
}

// UseAverages sets every trainable variable of ctx to its moving average
// under EMAScope after steps updates with decay, divided by
// 1 − decay^steps to undo the average's start at zero. Every trainable
// variable must have its average.
func UseAverages(ctx *context.Context, decay float64, steps int64) error {
	scale := 1 / (1 - math.Pow(decay, float64(steps)))
	for v := range ctx.IterVariables() {
		if !v.Trainable || strings.HasPrefix(v.Scope(), EMAScope+context.ScopeSeparator) {
			continue
		}
		avg := ctx.GetVariableByScopeAndName(EMAScope+v.Scope(), v.Name())
		if avg == nil {
			return fmt.Errorf("variable %s has no moving average", v.ScopeAndName())
		}
		value, err := avg.Value()
		if err != nil {
			return fmt.Errorf("moving average of %s: %w", v.ScopeAndName(), err)
		}
		flat, err := tensors.CopyFlatData[float32](value)
		if err != nil {
			return fmt.Errorf("moving average of %s: %w", v.ScopeAndName(), err)
		}
		for i := range flat {
			flat[i] = float32(float64(flat[i]) * scale)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(flat, value.Shape().Dimensions...)); err != nil {
			return fmt.Errorf("setting %s to its moving average: %w", v.ScopeAndName(), err)
		}
	}
	return nil
}

// LoadCheckpoint reads dir's config.json, checks its model, and reads its
// latest checkpoint that reads back whole and matches the config, with the
// damaged newer ones it passed over.
func LoadCheckpoint(dir string) (Config, *checkpoints.Checkpoint, []string, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return cfg, nil, nil, err
	}
	if err := cfg.Model.Validate(); err != nil {
		return cfg, nil, nil, fmt.Errorf("%s: model: %w", filepath.Join(dir, ConfigFile), err)
	}
	ck, skipped, err := checkpoints.Latest(dir)
	if err != nil {
		return cfg, nil, skipped, fmt.Errorf("run %s: %w", dir, err)
	}
	if err := CheckCheckpoint(ck, cfg); err != nil {
		return cfg, nil, skipped, fmt.Errorf("run %s: %w", dir, err)
	}
	return cfg, ck, skipped, nil
}
