package vae

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
	"github.com/latent-vae/latent/rundir"
)

// featureNet returns the feature network featArg names (a file, or a run
// folder whose data set gives one), else that of the run's data set (set,
// as the run loads it), and how to name it.
func (s *Session) featureNet(featArg string, set *data.Set) (*features.Net, string, error) {
	if featArg == "" {
		if d := s.Run.Config.Data; d.TrainLimit > 0 || d.TestLimit > 0 {
			var err error
			if set, err = loadFullData(d); err != nil {
				return nil, "", fmt.Errorf("the run's data set: %w", err)
			}
		}
		net, err := s.netForSet(set)
		if errors.Is(err, features.ErrUnlabelled) {
			return nil, "", fmt.Errorf("run %s: data set %s has no labels, so latent cannot train a feature network for it; "+
				"give --features FILE_OR_RUN naming one (a file from `latent features train --data DATA -o FILE`, "+
				"or a run whose data set is labelled)", s.Run.Dir, set.Name)
		}
		return net, featureName(set), err
	}
	if info, err := os.Stat(featArg); err == nil && info.IsDir() {
		cfg, err := rundir.ReadConfig(featArg)
		if err != nil {
			return nil, "", fmt.Errorf("--features %s: not a feature file or run folder: %w", featArg, err)
		}
		set, err := loadFullData(cfg.Data)
		if err != nil {
			return nil, "", fmt.Errorf("--features %s: its data set: %w", featArg, err)
		}
		net, err := s.netForSet(set)
		if err != nil {
			return nil, "", fmt.Errorf("--features %s: %w", featArg, err)
		}
		return net, featureName(set), nil
	}
	net, err := features.Load(featArg)
	if err != nil {
		return nil, "", fmt.Errorf("--features: %w", err)
	}
	return net, featArg, nil
}

// featureName names the network of set in the report.
func featureName(set *data.Set) string {
	return "latent's network for " + set.Name
}

// loadFullData loads the data set d names without its limits: a set's
// feature network is that of all its images.
func loadFullData(d rundir.DataConfig) (*data.Set, error) {
	d.TrainLimit, d.TestLimit = 0, 0
	return d.Load()
}

// netForSet returns set's feature network (shipped, cached, or trained now
// with progress on Log).
func (s *Session) netForSet(set *data.Set) (*features.Net, error) {
	dir, err := features.CacheDir()
	if err != nil {
		return nil, err
	}
	return features.ForSet(s.Backend, set, features.DefaultRecipe, dir, s.Log, FeatureProgress(s.Log, features.DefaultRecipe.Steps))
}

// FeatureProgress reports a feature network's training steps on w: a bar
// on a terminal, else a line every 500 steps, and the time taken.
func FeatureProgress(w io.Writer, steps int) func(done, total int) {
	report := StepProgress(w, "training the feature network", steps, 500)
	return func(done, total int) { report(done, total, "") }
}
