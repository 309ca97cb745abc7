package main

import (
	"io"

	"github.com/latent-vae/latent/backend"
)

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", "[--backend B] [--devices N]", stderr)
	name := backendFlag(fs)
	devicesValue := devicesFlag(fs, "devices to open the backend with, as latent train --devices does")
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
