package backend

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/gomlx/gomlx/backends"

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

// WriteInfo writes what `latent info` prints of the opened backend b: its
// configuration and why it was chosen, its plugin, compile cache and
// devices, and the versions of Go, GoMLX and go-xla built in.
func (b *Backend) WriteInfo(w io.Writer) {
	fmt.Fprintf(w, "backend:       %s\n", b.Config)
	fmt.Fprintf(w, "chosen:        %s\n", b.Reason)
	fmt.Fprintf(w, "description:   %s\n", b.Description())
	if b.PluginPath != "" {
		fmt.Fprintf(w, "pjrt plugin:   %s\n", b.PluginPath)
		fmt.Fprintf(w, "pjrt api:      v%s\n", b.PJRTVersion)
		fmt.Fprintf(w, "compile cache: %s\n", CacheLine(b.CacheDir))
	} else {
		fmt.Fprintf(w, "pjrt plugin:   none (pure-Go backend)\n")
	}
	for i := 0; i < b.NumDevices(); i++ {
		fmt.Fprintf(w, "device %d:      %s\n", i, b.DeviceDescription(backends.DeviceNum(i)))
	}
	fmt.Fprintf(w, "go:            %s %s/%s, %d CPUs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(w, "gomlx:         %s\n", ModuleVersion("github.com/gomlx/gomlx"))
	fmt.Fprintf(w, "go-xla:        %s\n", GoXLA)
}

// WriteVersions writes what `latent version` prints after latent's own
// version: Go's, GoMLX's and go-xla's, and the XLA CPU plugin's path and
// PJRT API version when one is found (else where to get one).
func WriteVersions(w io.Writer) {
	fmt.Fprintf(w, "go:          %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "gomlx:       %s\n", ModuleVersion("github.com/gomlx/gomlx"))
	fmt.Fprintf(w, "go-xla:      %s\n", GoXLA)
	path, found := LocatePlugin("cpu")
	if !found {
		fmt.Fprintf(w, "pjrt plugin: none found (%s)\n", Advice)
		return
	}
	fmt.Fprintf(w, "pjrt plugin: %s\n", path)
	if v, err := PluginVersion(path); err != nil {
		fmt.Fprintf(w, "pjrt api:    unknown (%v)\n", err)
	} else {
		fmt.Fprintf(w, "pjrt api:    v%s\n", v)
	}
}

// ModuleVersion reports the version of a dependency built into the binary,
// and the folder that replaced it, if one did ("unknown" when the binary
// carries no build information or not that module).
func ModuleVersion(path string) string {
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
