package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/gomlx/gomlx/backends"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/backend/nvidia"
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
			printCUDA(stdout, cudaPlugin, cudaFound)
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
		fmt.Fprintf(stdout, "compile cache: %s\n", cacheLine(b.CacheDir))
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
		printCUDA(stdout, cudaPlugin, cudaFound)
	}
	return nil
}

// printCUDA writes the diagnosis of the CUDA plugin at plugin: its CUDA and
// PJRT API versions, the driver, each NVIDIA file, the GPUs or why there
// are none, and the verdict with its advice.
func printCUDA(w io.Writer, plugin string, found bool) {
	if !found {
		fmt.Fprintf(w, "cuda plugin:   not installed; %s\n", backend.CUDASetupAdvice)
		return
	}
	facts := backend.ProbeCUDA(plugin)
	version, err := backend.PluginVersion(plugin)
	if err != nil {
		version = "unusable: " + err.Error()
	} else {
		version = "PJRT API v" + version
	}
	cuda := "CUDA version unknown (its RPATH names no nvidia/ folder latent knows)"
	if facts.ReleaseKnown {
		cuda = fmt.Sprintf("CUDA %d", facts.Release.Major)
	}
	fmt.Fprintf(w, "cuda plugin:   %s (%s, %s)\n", plugin, cuda, version)
	d := facts.Driver
	if !d.Loaded {
		fmt.Fprintf(w, "nvidia driver: not loadable: %s\n", d.LoadError)
	} else {
		rel := d.Release
		if rel == "" {
			rel = "release unknown"
		}
		fmt.Fprintf(w, "nvidia driver: %s, supports CUDA %s\n", rel, nvidia.VersionString(d.CUDAVersion))
	}
	if facts.ReleaseKnown {
		fmt.Fprintf(w, "driver needed: >= %s (CUDA %d)\n", facts.Release.MinDriver, facts.Release.Major)
		fmt.Fprintf(w, "nvidia files:  %d of %d found\n", len(facts.Files)-len(nvidia.Missing(facts.Files)), len(facts.Files))
		for _, f := range facts.Files {
			where := "missing"
			if f.Path != "" {
				where = f.Path
			}
			fmt.Fprintf(w, "  %-40s %s\n", f.Name, where)
		}
	}
	for i, dev := range d.Devices {
		fmt.Fprintf(w, "gpu %d:         %s, %.1f GB, compute capability %d.%d\n", i, dev.Name, float64(dev.MemoryBytes)/1e9, dev.CapMajor, dev.CapMinor)
	}
	problem := facts.Check()
	if d.Loaded && len(d.Devices) == 0 && problem != nil && problem.Problem == backend.CUDANoDevice {
		fmt.Fprintf(w, "gpus:          none: %s\n", problem.Reason)
	}
	if problem != nil {
		fmt.Fprintf(w, "cuda:          %s\n", problem)
		return
	}
	fmt.Fprintf(w, "cuda:          ready\n")
}

// cacheLine describes the compile cache in dir ("" when off).
func cacheLine(dir string) string {
	if dir == "" {
		return "off ($" + backend.EnvCache + ")"
	}
	n, size, err := backend.CacheUsage(dir)
	if err != nil {
		return fmt.Sprintf("%s (%v)", dir, err)
	}
	return fmt.Sprintf("%s (%d programs, %.1f MB)", dir, n, float64(size)/1e6)
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
