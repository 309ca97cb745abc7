package vae

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
)

// TrainFeatureNet trains the feature network of the scores on set by
// features.DefaultRecipe on b, its progress on log, and writes it to out.
// It returns what it wrote, as `latent score --train-features` prints it.
func TrainFeatureNet(b *backend.Backend, set *data.Set, out string, log io.Writer) (string, error) {
	r := features.DefaultRecipe
	net, err := features.Train(b, set, r, FeatureProgress(log, r.Steps))
	if err != nil {
		return "", fmt.Errorf("--train-features %s: %w", set.Name, err)
	}
	if err := net.Save(out); err != nil {
		return "", err
	}
	return fmt.Sprintf("wrote %s: feature network for %s (%s, seed %d, %d steps of %d), test accuracy %.2f%%\n",
		out, set.Name, r.Architecture, r.Seed, r.Steps, r.Batch, 100*net.Accuracy), nil
}

// TrainFeatures trains the feature network of the labelled data set spec
// (TrainFeatureNet) on the backend backendName names ("" for the default),
// its messages on log, and writes it to out; errors name the flag dataFlag
// that gave spec, and the backend's flag.
func TrainFeatures(dataFlag, spec, out, backendName string, log io.Writer) (string, error) {
	set, err := data.Load(spec, data.Options{})
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", dataFlag, spec, err)
	}
	b, err := backend.OpenDevices(backendName, 0, log)
	if err != nil && backendName != "" {
		return "", fmt.Errorf("--%w", err)
	} else if err != nil {
		return "", err
	}
	defer b.Finalize()
	return TrainFeatureNet(b, set, out, log)
}
