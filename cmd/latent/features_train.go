package main

import (
	"io"

	"github.com/latent-vae/latent/internal/cli"
	"github.com/spf13/pflag"
)

// featuresTrainCommand defines `latent features train`'s flags on fs and
// returns its body: a feature network for latent score, trained on a
// labelled data set by latent's recipe (trainFeatures).
func featuresTrainCommand(fs *pflag.FlagSet) cli.RunFunc {
	spec := fs.String("data", "", "labelled data set to train on: mnist, fashion-mnist, kmnist, emnist-<split>, or a folder of IDX files or images")
	out := fs.StringP("o", "o", "", "the .safetensors file to write")
	backendName := backendFlag(fs)
	cli.Required(fs, "data")
	cli.Required(fs, "o")
	return func(_ []string, stdout, stderr io.Writer) error {
		return trainFeatures("--data", *spec, *out, *backendName, stdout, stderr)
	}
}
