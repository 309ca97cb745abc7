// Package backend picks the GoMLX backend every latent command runs on: XLA
// (CPU or CUDA, through a PJRT plugin) when it can be loaded, else the
// pure-Go backend, never silently.
package backend

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // registers "go"

	"github.com/latent-vae/latent/backend/nvidia"
	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
	"github.com/latent-vae/latent/third_party/gomlx/backends/xla"
)

// EnvVar is the environment variable GoMLX reads for its backend; latent
// honours it when no backend is chosen explicitly.
const EnvVar = "GOMLX_BACKEND"

// PluginPathEnvVar names the folders (":"-separated) searched for PJRT
// plugins by name, in place of the default ones.
const PluginPathEnvVar = "PJRT_PLUGIN_LIBRARY_PATH"

// Advice tells a user how to get the XLA CPU plugin.
const Advice = "run `latent setup` (or `make setup` in a clone) to install the XLA CPU PJRT plugin into ~/.local/lib/go-xla " +
	"(or set PJRT_PLUGIN_LIBRARY_PATH to a folder holding pjrt_c_api_cpu_plugin.so)"

// Backend is an opened backend and what was chosen.
type Backend struct {
	backends.Backend
	// Config is the configuration string that opened it, e.g. "xla:cpu" or "go".
	Config string
	// PluginPath and PJRTVersion describe the PJRT plugin; empty for the pure-Go backend.
	PluginPath  string
	PJRTVersion string
	// CacheDir is the folder of compiled programs (see EnvCache); empty
	// when the cache is off or the backend is pure Go.
	CacheDir string
	// Fallback is true when XLA was wanted by default but its plugin was
	// missing or failed CheckPlugin.
	Fallback bool
	// Reason says why this backend runs: asked for, or the default and why.
	Reason string
	xla    bool // an XLA backend, which can train
}

// Open opens the backend named by choice, or by $GOMLX_BACKEND when choice
// is empty. With neither set it opens XLA CPU when its plugin is found and
// passes CheckPlugin, else the pure-Go backend with a warning on warn naming
// the reason. An explicit XLA choice that cannot be honoured is an error
// naming the choice (as "backend ..." or "$GOMLX_BACKEND ...") and what is
// wrong; callers add the flag it came from. A plugin is checked with
// CheckPlugin before it is loaded, and loaded by path, so no other plugin
// file is opened. GoMLX's auto-install from the network is always off.
func Open(choice string, warn io.Writer) (*Backend, error) {
	return OpenDevices(choice, 0, warn)
}

// CPUDeviceCountOption is the PJRT client option that sets how many host
// devices the XLA CPU plugin presents (4 when not given). The plugin
// ignores XLA_FLAGS=--xla_force_host_platform_device_count.
const CPUDeviceCountOption = "cpu_device_count"

// ErrTooFewDevices is wrapped by OpenDevices' error when the backend has
// fewer devices than asked for.
var ErrTooFewDevices = errors.New("too few devices")

// OpenDevices is Open for a backend with at least devices devices. With
// devices > 1 an XLA CPU plugin is created with exactly that many host
// devices (CPUDeviceCountOption), so that data-parallel programs can be
// run and tested without accelerators; any other backend must present at
// least that many, else the error names how many it has. With devices 0
// or 1 the backend presents its default devices.
func OpenDevices(choice string, devices int, warn io.Writer) (*Backend, error) {
	if devices < 0 {
		return nil, fmt.Errorf("%d devices: must be positive", devices)
	}
	b, err := open(choice, devices, warn)
	if err != nil {
		return nil, err
	}
	if n := b.NumDevices(); n < devices {
		b.Finalize()
		return nil, fmt.Errorf("%w: backend %q presents %d, fewer than the %d asked for", ErrTooFewDevices, b.Config, n, devices)
	}
	return b, nil
}

// open is OpenDevices before the device count is checked.
func open(choice string, devices int, warn io.Writer) (*Backend, error) {
	xla.EnableAutoInstall(false)
	config := strings.TrimSpace(choice)
	label, reason := fmt.Sprintf("backend %q", config), "as asked"
	if config == "" {
		config = strings.TrimSpace(os.Getenv(EnvVar))
		label, reason = fmt.Sprintf("$%s %q", EnvVar, config), "from $"+EnvVar
	}
	if config == "" {
		return openDefault(devices, warn)
	}
	name, _, _ := strings.Cut(config, ":")
	var b *Backend
	var err error
	switch name {
	case "xla", "stablehlo", "hlo", "shlo":
		b, err = openXLA(config, label, devices, warn)
	case "go":
		b, err = openGo(config, label)
	default:
		return nil, fmt.Errorf("%s: unknown backend, want xla:cpu, xla:cuda, xla:/path/to/plugin.so or go", label)
	}
	if b != nil {
		b.Reason = reason
	}
	return b, err
}

// openDefault opens XLA CUDA when its plugin is installed and CUDAFacts.Check
// finds nothing wrong, else XLA CPU if its plugin is present and sound, else
// the pure-Go backend with a warning. Reason says which and why.
func openDefault(devices int, warn io.Writer) (*Backend, error) {
	why := "no CUDA plugin installed"
	if cuda, found := findPlugin("cuda"); found {
		facts := ProbeCUDA(cuda)
		if e := facts.Check(); e != nil {
			why = "CUDA plugin installed, but " + e.Problem.String() + ": " + e.Reason
		} else if b, err := openXLA("xla:cuda", `backend "xla:cuda"`, devices, warn); err == nil {
			b.Reason = fmt.Sprintf("by default: CUDA plugin installed and %d GPU(s) visible", len(facts.Driver.Devices))
			return b, nil
		} else {
			why = fmt.Sprintf("CUDA plugin installed, but %v", err)
		}
	}
	path, found := findPlugin("cpu")
	if found {
		err := CheckPlugin(path)
		if err == nil {
			b, err := openXLA("xla:cpu", `backend "xla:cpu"`, devices, warn)
			if b != nil {
				b.Reason = "by default: " + why
			}
			return b, err
		}
		fmt.Fprintf(warn, "warning: %v; using the slow pure-Go backend; %s\n", err, Advice)
	} else {
		fmt.Fprintf(warn, "warning: XLA CPU plugin not found, using the slow pure-Go backend; %s\n", Advice)
	}
	b, err := openGo("go", `backend "go"`)
	if b != nil {
		b.Fallback = true
		b.Reason = "by default: " + why + ", and no XLA CPU plugin"
	}
	return b, err
}

// openXLA finds and checks the plugin named in config, then loads it by
// path; a CPU plugin is asked for devices host devices when devices > 1.
// When $XLA_FLAGS is set the plugin is loaded in a child process first
// (checkXLAFlags), so that a plugin refusing it is an error, not a silent
// exit. A CUDA plugin's driver, GPUs and libraries are checked first, and its
// failures are CUDAErrors. Warnings about the compile cache go to warn.
func openXLA(config, label string, devices int, warn io.Writer) (*Backend, error) {
	kind, spec, _ := strings.Cut(config, ":")
	if spec == "" {
		spec = "cpu"
		config = kind + ":cpu"
	}
	plugin, options, _ := strings.Cut(spec, ",")
	path := plugin
	if !filepath.IsAbs(plugin) {
		var found bool
		if path, found = findPlugin(plugin); !found {
			err := fmt.Errorf("%s: PJRT plugin %q not found in %s; %s",
				label, plugin, strings.Join(pluginDirs(), ", "), adviceFor(plugin))
			if isCUDAPlugin(plugin) {
				err = fmt.Errorf("%s: %w", label, &CUDAError{Problem: CUDANoPlugin, Advice: CUDASetupAdvice,
					Reason: fmt.Sprintf("PJRT plugin %q not found in %s", plugin, strings.Join(pluginDirs(), ", "))})
			}
			return nil, err
		}
	}
	if err := CheckPlugin(path); err != nil {
		return nil, fmt.Errorf("%s: %w; %s", label, err, adviceFor(plugin))
	}
	if err := checkXLAFlags(path, devices); err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if plugin == "cpu" && !strings.Contains(options, "shared_buffers") {
		options = strings.TrimPrefix(options+",shared_buffers", ",") // GoMLX's default for "cpu" by name
	}
	load := path
	if options != "" {
		load += "," + options
	}
	cache, err := enableCache(warn)
	if err != nil {
		return nil, err
	}
	var client pjrt.NamedValuesMap
	if devices > 1 && isCPUPlugin(plugin) {
		client = pjrt.NamedValuesMap{CPUDeviceCountOption: int64(devices)}
	}
	var facts *CUDAFacts
	if isCUDAPlugin(path) {
		f, opts, err := prepareCUDA(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		facts, client = &f, opts
	}
	var b *xla.Backend
	var version string
	err = quietly(func() error {
		if version, err = PluginVersion(path); err != nil {
			return err
		}
		b, err = xla.NewWithOptions(load, client)
		return err
	})
	if err != nil {
		if facts != nil {
			return nil, fmt.Errorf("%s: %w", label, ClassifyCUDA(err, *facts))
		}
		return nil, fmt.Errorf("%s: %w; %s", label, err, adviceFor(plugin))
	}
	return &Backend{Backend: b, Config: config, PluginPath: path, PJRTVersion: version, CacheDir: cache, xla: true}, nil
}

// prepareCUDA checks the CUDA plugin's driver, GPUs and libraries, loads
// the libraries (as JAX does, so the plugin finds those its RPATH misses),
// names XLA's CUDA data folder (ptxas, libdevice) unless $XLA_FLAGS does,
// and returns the client's memory options.
func prepareCUDA(path string) (CUDAFacts, pjrt.NamedValuesMap, error) {
	facts := ProbeCUDA(path)
	if e := facts.Check(); e != nil {
		return facts, nil, e
	}
	opts, err := cudaClientOptions(os.Getenv)
	if err != nil {
		return facts, nil, err
	}
	if err := nvidia.Preload(facts.Libraries()); err != nil {
		return facts, nil, &CUDAError{Problem: CUDALibrariesMissing, Reason: err.Error(), Advice: CUDASetupAdvice}
	}
	if flags := os.Getenv("XLA_FLAGS"); !strings.Contains(flags, "--xla_gpu_cuda_data_dir") {
		if dir := nvidia.DataDir(path, facts.Release); dir != "" {
			os.Setenv("XLA_FLAGS", strings.TrimSpace(flags+" --xla_gpu_cuda_data_dir="+dir))
		}
	}
	return facts, opts, nil
}

// LocatePlugin returns the path of the PJRT plugin named name ("cpu",
// "cuda") where Open looks for it, without loading or checking it; false
// when there is none.
func LocatePlugin(name string) (string, bool) { return findPlugin(name) }

// PluginVersion checks the PJRT plugin at path with CheckPlugin, loads it
// and returns the PJRT C API version it implements, "major.minor"; a version
// go-xla cannot use is an error (CheckPJRTVersion).
func PluginVersion(path string) (string, error) {
	if err := CheckPlugin(path); err != nil {
		return "", err
	}
	var p *pjrt.Plugin
	err := quietly(func() (err error) {
		p, err = pjrt.GetPlugin(path)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("loading PJRT plugin %s: %w", path, err)
	}
	major, minor := p.Version()
	if err := CheckPJRTVersion(path, major, minor); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d", major, minor), nil
}

// isCUDAPlugin reports whether the plugin named or located by plugin is a CUDA one.
func isCUDAPlugin(plugin string) bool {
	return plugin == "cuda" || strings.Contains(strings.ToLower(filepath.Base(plugin)), "cuda")
}

// isCPUPlugin reports whether the plugin named or located by plugin is XLA
// CPU's.
func isCPUPlugin(plugin string) bool {
	return plugin == "cpu" || strings.Contains(strings.ToLower(filepath.Base(plugin)), "cpu")
}

// adviceFor tells how to get the plugin named or located by plugin.
func adviceFor(plugin string) string {
	base := strings.ToLower(filepath.Base(plugin))
	switch {
	case strings.Contains(base, "cuda"):
		return CUDASetupAdvice
	case strings.Contains(base, "cpu"):
		return Advice
	}
	return "choose a PJRT plugin by path as the backend xla:/path/to/plugin.so, or " + Advice
}

func openGo(config, label string) (*Backend, error) {
	b, err := backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return &Backend{Backend: b, Config: config}, nil
}

// CanTrain reports whether the backend can train latent's models: XLA can;
// the pure-Go backend of GoMLX v0.26 lacks the Reverse op that the gradients
// of convolutions need.
func (b *Backend) CanTrain() bool { return b.xla }

// Summary is the one line every command prints on stderr: which backend runs.
func (b *Backend) Summary() string {
	if b.PluginPath != "" {
		cache := "compile cache off"
		if b.CacheDir != "" {
			cache = "compile cache " + b.CacheDir
		}
		return fmt.Sprintf("backend: %s (PJRT plugin %s, API v%s; %s)%s", b.Config, b.PluginPath, b.PJRTVersion, cache, b.why())
	}
	return fmt.Sprintf("backend: %s (pure Go)%s", b.Config, b.why())
}

// why is the reason the backend runs, for Summary.
func (b *Backend) why() string {
	if b.Reason == "" {
		return ""
	}
	return "; " + b.Reason
}
