package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/cli"
)

// infoCommand defines `latent info`'s flags on fs and returns its body,
// runInfo.
func infoCommand(fs *pflag.FlagSet) cli.RunFunc {
	name := backendFlag(fs)
	devicesValue := devicesFlag(fs, "devices to open the backend with, as latent train --devices does")
	return func(_ []string, stdout, stderr io.Writer) error { return runInfo(stdout, stderr, *name, *devicesValue) }
}

// runInfo implements `latent info`: the backend --backend (name) names,
// opened with --devices (devicesValue) devices, its plugin and devices,
// and what CUDA lacks when a CUDA plugin is named or found.
func runInfo(stdout, stderr io.Writer, name, devicesValue string) error {
	devices, err := parseDevices(devicesValue)
	if err != nil {
		return err
	}
	cudaPlugin, cudaNamed, cudaFound := backend.CUDAPluginFor(name)
	b, err := openBackendDevices(name, devices, stderr)
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
