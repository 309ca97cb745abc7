package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/gomlx/gomlx/backends"

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
	fmt.Fprintf(stdout, "backend:       %s\n", b.Config)
	fmt.Fprintf(stdout, "chosen:        %s\n", b.Reason)
	fmt.Fprintf(stdout, "description:   %s\n", b.Description())
	if b.PluginPath != "" {
		fmt.Fprintf(stdout, "pjrt plugin:   %s\n", b.PluginPath)
		fmt.Fprintf(stdout, "pjrt api:      v%s\n", b.PJRTVersion)
		fmt.Fprintf(stdout, "compile cache: %s\n", backend.CacheLine(b.CacheDir))
	} else {
		fmt.Fprintf(stdout, "pjrt plugin:   none (pure-Go backend)\n")
	}
	for i := 0; i < b.NumDevices(); i++ {
		fmt.Fprintf(stdout, "device %d:      %s\n", i, b.DeviceDescription(backends.DeviceNum(i)))
	}
	fmt.Fprintf(stdout, "go:            %s %s/%s, %d CPUs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(stdout, "gomlx:         %s\n", moduleVersion("github.com/gomlx/gomlx"))
	fmt.Fprintf(stdout, "go-xla:        %s\n", backend.GoXLA)
	if cudaNamed || cudaFound {
		backend.WriteCUDADiagnosis(stdout, cudaPlugin, cudaFound)
	}
	return nil
}

// moduleVersion reports the version of a dependency built into the binary,
// and the folder that replaced it, if one did.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, m := range info.Deps {
		if m.Path == path && m.Replace != nil {
			return fmt.Sprintf("%s, patched (%s)", m.Version, m.Replace.Path)
		}
		if m.Path == path {
			return m.Version
		}
	}
	return "unknown"
}
