package main

import (
	"io"

	"github.com/spf13/pflag"
)

// featuresTrainCommand defines `latent features train`'s flags on fs and
// returns its body: a feature network for latent score, trained on a
// labelled data set by latent's recipe (trainFeatures).
func featuresTrainCommand(fs *pflag.FlagSet) runFunc {
	spec := fs.String("data", "", "labelled data set to train on: mnist, fashion-mnist, kmnist, emnist-<split>, or a folder of IDX files or images")
	out := fs.StringP("o", "o", "", "the .safetensors file to write")
	backendName := backendFlag(fs)
	required(fs, "data")
	required(fs, "o")
	return func(args []string, stdout, stderr io.Writer) error {
		if err := parseArgs(fs, args); err != nil {
			return err
		}
		return trainFeatures("--data", *spec, *out, *backendName, stdout, stderr)
	}
}
