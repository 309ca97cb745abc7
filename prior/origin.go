package prior

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// Origin is what a prior is fitted to: a run's checkpoint, named by its
// SHA-256, with the run's recipe and its code's kind and size.
type Origin struct {
	Dir     string
	Step    int64
	Model   string // the run's model kind (models.Config.Model; "" is conv)
	Latent  int    // dimensions of the code
	Classes int    // > 0: a conditional run
	Codes   int    // a discrete code's codebook size K (models.Codebook); 0 for a continuous one
	// Checkpoint is the SHA-256, in hex, of the run's checkpoint file of
	// Step (the trailer the file ends with: the hash of all before it).
	Checkpoint string
	// Recipe is the SHA-256, in hex, of what makes the run this run and not
	// another (its model, data, seed, initial weights and classes): the same
	// for every checkpoint of the run, unchanged by resuming it.
	Recipe string
}

// OriginOf returns the origin of run, loaded at its checkpoint of run.Step.
func OriginOf(run *rundir.Run) (Origin, error) {
	sum, err := checkpointHash(run.Dir, run.Step)
	if err != nil {
		return Origin{}, err
	}
	recipe, err := json.Marshal(struct {
		Model   any      `json:"model"`
		Data    any      `json:"data"`
		Seed    int64    `json:"seed"`
		Init    string   `json:"init"`
		Classes []string `json:"classes"`
	}{run.Config.Model, run.Config.Data, run.Config.Seed, run.Config.Init, run.Config.Classes})
	if err != nil {
		return Origin{}, fmt.Errorf("run %s: recipe: %w", run.Dir, err)
	}
	r := sha256.Sum256(recipe)
	m := run.Config.Model
	return Origin{Dir: run.Dir, Step: run.Step, Model: m.Model, Latent: m.Kind().Code().Size(), Classes: m.Classes,
		Codes: models.Codebook(m.Kind()), Checkpoint: sum, Recipe: hex.EncodeToString(r[:])}, nil
}

// checkpointHash reads the SHA-256 trailer of the checkpoint of step in dir.
func checkpointHash(dir string, step int64) (string, error) {
	path := filepath.Join(dir, checkpoints.Name(step))
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the run's checkpoint: %w", err)
	}
	defer f.Close()
	sum := make([]byte, sha256.Size)
	if _, err := f.Seek(-sha256.Size, io.SeekEnd); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if _, err := io.ReadFull(f, sum); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(sum), nil
}

// Stamp records o in cfg, as what cfg's prior is fitted to.
func (o Origin) Stamp(cfg *Config) {
	cfg.Model, cfg.Latent, cfg.Classes, cfg.Codes = o.Model, o.Latent, o.Classes, o.Codes
	cfg.RunStep, cfg.RunCheckpoint, cfg.RunRecipe = o.Step, o.Checkpoint, o.Recipe
}

// short is the first 12 hex digits of a SHA-256, or "unrecorded".
func short(sum string) string {
	if sum == "" {
		return "unrecorded"
	}
	return sum[:min(12, len(sum))]
}

// modelName names a model kind ("" is conv).
func modelName(m string) string {
	if m == "" {
		return "conv"
	}
	return m
}

// Check compares the config of a saved prior (in the file path) with o,
// the run it is to draw codes for. A prior of another code size, model
// kind or class count, or fitted to another run, is an error of one line
// naming both and the command that refits it. A prior fitted to an earlier
// checkpoint of this run gives a warning (a line, else ""). A prior saved
// before origins were recorded (no checkpoint hash) is checked for its
// size, classes and step only.
func (o Origin) Check(cfg Config, path string) (warning string, err error) {
	refit := fmt.Sprintf("refit it with `latent prior fit --run %s --kind %s`", o.Dir, cfg.Kind)
	was := fmt.Sprintf("%s: fitted to the %d-dimensional code of a run's step %d (checkpoint sha %s)",
		path, cfg.Latent, cfg.RunStep, short(cfg.RunCheckpoint))
	is := fmt.Sprintf("run %s (step %d, checkpoint sha %s)", o.Dir, o.Step, short(o.Checkpoint))
	switch {
	case cfg.Latent != o.Latent:
		return "", fmt.Errorf("%s; %s has a %d-dimensional code: %s", was, is, o.Latent, refit)
	case cfg.Classes != o.Classes:
		return "", fmt.Errorf("%s, of %d classes; %s has %d classes: %s", was, cfg.Classes, is, o.Classes, refit)
	case cfg.RunCheckpoint != "" && cfg.Model != o.Model:
		return "", fmt.Errorf("%s, a %s model's; %s is a %s model: %s", was, modelName(cfg.Model), is, modelName(o.Model), refit)
	case cfg.RunCheckpoint != "" && cfg.RunRecipe != o.Recipe:
		return "", fmt.Errorf("%s, of another run (recipe sha %s); %s has recipe sha %s: %s",
			was, short(cfg.RunRecipe), is, short(o.Recipe), refit)
	}
	if cfg.RunCheckpoint != "" {
		sum := o.Checkpoint
		if cfg.RunStep != o.Step {
			sum, err = checkpointHash(o.Dir, cfg.RunStep)
			if errors.Is(err, fs.ErrNotExist) {
				sum, err = cfg.RunCheckpoint, nil // pruned: the recipe says it is this run's
			}
			if err != nil {
				return "", err
			}
		}
		if sum != cfg.RunCheckpoint {
			return "", fmt.Errorf("%s; %s holds another checkpoint of step %d (sha %s): %s",
				was, is, cfg.RunStep, short(sum), refit)
		}
	}
	if cfg.RunStep != o.Step {
		return fmt.Sprintf("warning: the %s prior was fitted to the codes of step %d, the run is at step %d: %s",
			cfg.Kind, cfg.RunStep, o.Step, refit), nil
	}
	return "", nil
}
