package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
)

// infoCommand defines `latent info`'s flags on fs and returns its body, runInfo.
func infoCommand(fs *pflag.FlagSet) runFunc {
	name := backendFlag(fs)
	devicesValue := devicesFlag(fs, "devices to open the backend with, as latent train --devices does")
	return func(args []string, stdout, stderr io.Writer) error {
		return runInfo(fs, args, stdout, stderr, name, devicesValue)
	}
}

func runInfo(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	name, devicesValue *string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	devices, err := parseDevices(*devicesValue)
	if err != nil {
		return err
	}
	cudaPlugin, cudaNamed, cudaFound := backend.CUDAPluginFor(*name)
	b, err := openBackendDevices(*name, devices, stderr)
	if err != nil {
		if cudaNamed {
			backend.WriteCUDADiagnosis(stdout, cudaPlugin, cudaFound)
		}
		return err
	}
	defer b.Finalize()
	b.WriteInfo(stdout)
	if cudaNamed || cudaFound {
		backend.WriteCUDADiagnosis(stdout, cudaPlugin, cudaFound)
	}
	return nil
}
