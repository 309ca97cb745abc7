package rundir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// Run is a trained run loaded for inference.
type Run struct {
	Dir    string
	Config Config
	Step   int64            // global step of the checkpoint loaded
	Ctx    *context.Context // variables restored; build graphs on Ctx.Reuse()
	// Skipped describes newer checkpoints that were damaged and passed over.
	Skipped []string
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
	return &Run{Dir: dir, Config: cfg, Step: ck.Step, Ctx: ctx, Skipped: skipped}, nil
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
