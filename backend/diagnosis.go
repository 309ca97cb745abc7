package backend

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/backend/nvidia"
)

// WriteCUDADiagnosis writes, as `latent info` prints it, the diagnosis of
// the CUDA plugin at plugin (found: whether one is installed): its CUDA and
// PJRT API versions, the driver, each NVIDIA file, the GPUs or why there
// are none, and the verdict with its advice.
func WriteCUDADiagnosis(w io.Writer, plugin string, found bool) {
	if !found {
		fmt.Fprintf(w, "cuda plugin:   not installed; %s\n", CUDASetupAdvice)
		return
	}
	facts := ProbeCUDA(plugin)
	version, err := PluginVersion(plugin)
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
	if d.Loaded && len(d.Devices) == 0 && problem != nil && problem.Problem == CUDANoDevice {
		fmt.Fprintf(w, "gpus:          none: %s\n", problem.Reason)
	}
	if problem != nil {
		fmt.Fprintf(w, "cuda:          %s\n", problem)
		return
	}
	fmt.Fprintf(w, "cuda:          ready\n")
}

// CacheLine describes the compile cache in dir ("" when off): its folder,
// programs and size, as `latent info` prints it.
func CacheLine(dir string) string {
	if dir == "" {
		return "off ($" + EnvCache + ")"
	}
	n, size, err := CacheUsage(dir)
	if err != nil {
		return fmt.Sprintf("%s (%v)", dir, err)
	}
	return fmt.Sprintf("%s (%d programs, %.1f MB)", dir, n, float64(size)/1e6)
}
