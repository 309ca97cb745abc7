package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/backend/nvidia"
	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

// CUDASetupAdvice tells a user how to install the CUDA plugin and libraries.
const CUDASetupAdvice = "run `latent setup --cuda` to install the CUDA 13 PJRT plugin and the NVIDIA libraries it needs " +
	"into ~/.local/lib/go-xla/cuda13 (`latent setup --cuda 12` for drivers older than 580)"

// CUDAProblem names why a CUDA backend cannot run.
type CUDAProblem int

// The CUDA problems, each with its own advice.
const (
	CUDANoPlugin         CUDAProblem = iota + 1 // no CUDA PJRT plugin installed
	CUDANoDriver                                // plugin, but libcuda.so.1 cannot be loaded
	CUDADriverTooOld                            // the driver supports an older CUDA than the plugin's
	CUDANoDevice                                // the driver shows no GPU
	CUDALibrariesMissing                        // NVIDIA libraries the plugin loads are not where it looks
	CUDAPluginUnusable                          // a plugin whose PJRT API this go-xla cannot use
	CUDAFailed                                  // anything else the plugin reported
)

// String is the problem's name, with which its error's message begins.
func (p CUDAProblem) String() string {
	switch p {
	case CUDANoPlugin:
		return "no CUDA plugin"
	case CUDANoDriver:
		return "no NVIDIA driver"
	case CUDADriverTooOld:
		return "NVIDIA driver too old"
	case CUDANoDevice:
		return "no visible GPU"
	case CUDALibrariesMissing:
		return "NVIDIA libraries missing"
	case CUDAPluginUnusable:
		return "CUDA plugin unusable"
	case CUDAFailed:
		return "CUDA backend failed"
	}
	return fmt.Sprintf("CUDA problem %d", int(p))
}

// CUDAError is a CUDA backend that cannot run: the problem, the exact
// reason and what to do. Its message is one line.
type CUDAError struct {
	Problem CUDAProblem
	Reason  string
	Advice  string
	Err     error // the plugin's error, if it came from one
}

func (e *CUDAError) Error() string { return fmt.Sprintf("%s: %s; %s", e.Problem, e.Reason, e.Advice) }

// Unwrap returns the plugin's error.
func (e *CUDAError) Unwrap() error { return e.Err }

// CUDAFacts is what ProbeCUDA finds about a CUDA plugin's surroundings
// without loading the plugin.
type CUDAFacts struct {
	Plugin       string
	Release      nvidia.Release // the plugin's CUDA version (from its RPATH)
	ReleaseKnown bool
	Driver       nvidia.Driver
	Files        []nvidia.File // the release's libraries and tools, found or missing
	// VisibleDevices is $CUDA_VISIBLE_DEVICES when VisibleSet.
	VisibleDevices string
	VisibleSet     bool
	DeviceNodes    []string // /dev/nvidia0, /dev/nvidia1, …
}

// ProbeCUDA gathers the facts about the CUDA plugin at plugin: its CUDA
// version, the driver and GPUs, the NVIDIA libraries. It loads libcuda.so.1
// but not the plugin.
func ProbeCUDA(plugin string) CUDAFacts {
	f := CUDAFacts{Plugin: plugin}
	f.Release, f.ReleaseKnown = nvidia.PluginRelease(plugin)
	f.Driver = nvidia.ProbeDriver()
	if f.ReleaseKnown {
		f.Files = nvidia.Find(plugin, append(append([]string{}, f.Release.Libraries...), f.Release.Tools...))
	}
	f.VisibleDevices, f.VisibleSet = os.LookupEnv("CUDA_VISIBLE_DEVICES")
	f.DeviceNodes, _ = filepath.Glob("/dev/nvidia[0-9]*")
	return f
}

// release is the plugin's release, CUDA 13's when unknown.
func (f CUDAFacts) release() nvidia.Release {
	if f.ReleaseKnown {
		return f.Release
	}
	r, _ := nvidia.ReleaseFor(13)
	return r
}

// Check classifies what stops the plugin from running, in the order a user
// must fix it: driver, driver version, GPUs, libraries; nil when nothing does.
func (f CUDAFacts) Check() *CUDAError {
	r := f.release()
	d := f.Driver
	needs := fmt.Sprintf("CUDA %d needs an NVIDIA driver >= %s", r.Major, r.MinDriver)
	switch {
	case !d.Loaded:
		reason := fmt.Sprintf("libcuda.so.1 cannot be loaded (%s)", d.LoadError)
		advice := fmt.Sprintf("install an NVIDIA driver >= %s on a machine with an NVIDIA GPU; "+
			"in a container, start it with the NVIDIA Container Toolkit (docker run --gpus all); without a GPU, use --backend xla:cpu", r.MinDriver)
		if len(f.DeviceNodes) > 0 {
			reason += fmt.Sprintf(", though %s exists: the driver's user-space library is missing or not on the loader's path", f.DeviceNodes[0])
		}
		return &CUDAError{Problem: CUDANoDriver, Reason: reason, Advice: advice}
	case d.CUDAVersion < r.MinCUDA || d.InitCode == nvidia.ErrInsufficient:
		advice := fmt.Sprintf("upgrade the NVIDIA driver to >= %s", r.MinDriver)
		if r.Major == 13 {
			advice += ", or install the CUDA 12 plugin, which drivers >= 525 run: `latent setup --cuda 12`, then --backend xla:cuda"
		}
		return &CUDAError{Problem: CUDADriverTooOld, Advice: advice,
			Reason: fmt.Sprintf("the driver%s supports CUDA %s; %s", release(d), nvidia.VersionString(d.CUDAVersion), needs)}
	case d.InitCode != 0 || len(d.Devices) == 0:
		reason, advice := f.noDevice()
		return &CUDAError{Problem: CUDANoDevice, Reason: reason, Advice: advice}
	}
	if missing := nvidia.Missing(f.Libraries()); len(missing) > 0 {
		roots := nvidia.Roots(f.Plugin)
		return &CUDAError{Problem: CUDALibrariesMissing, Advice: CUDASetupAdvice,
			Reason: fmt.Sprintf("%d of the %d NVIDIA libraries the CUDA %d plugin loads are missing (%s), looked for in %s, %s and $LD_LIBRARY_PATH",
				len(missing), len(f.Libraries()), r.Major, strings.Join(missing, ", "), filepath.Clean(roots[0]), filepath.Clean(roots[1]))}
	}
	return nil
}

// Libraries are the Files the plugin loads (the rest are tools: ptxas and
// libdevice, which XLA looks for itself and whose absence is not fatal to
// loading; info reports them).
func (f CUDAFacts) Libraries() []nvidia.File {
	return f.Files[:min(len(f.Files), len(f.Release.Libraries))]
}

func release(d nvidia.Driver) string {
	if d.Release == "" {
		return ""
	}
	return " (release " + d.Release + ")"
}

// noDevice says why a loaded driver shows no GPU, and what to do.
func (f CUDAFacts) noDevice() (reason, advice string) {
	d := f.Driver
	init := ""
	if d.InitCode != 0 {
		init = fmt.Sprintf(" (cuInit: %s, %d)", d.InitError, d.InitCode)
	}
	if f.VisibleSet && !validVisible(f.VisibleDevices) {
		return fmt.Sprintf("CUDA_VISIBLE_DEVICES=%q hides every GPU%s", f.VisibleDevices, init),
			"unset CUDA_VISIBLE_DEVICES, or set it to the GPUs to use (0 or 0,1; nvidia-smi -L lists them)"
	}
	if len(f.DeviceNodes) == 0 {
		return "the driver is installed but there are no /dev/nvidia[0-9] device files: no GPU in this machine, or a container started without GPUs" + init,
			"start the container with the NVIDIA Container Toolkit (docker run --gpus all), or run on a machine with an NVIDIA GPU; without one, use --backend xla:cpu"
	}
	if f.VisibleSet {
		return fmt.Sprintf("the driver shows no GPU with CUDA_VISIBLE_DEVICES=%q%s", f.VisibleDevices, init),
			"check the numbers in CUDA_VISIBLE_DEVICES against nvidia-smi -L, or unset it"
	}
	return "the driver shows no GPU" + init, "check that nvidia-smi lists the GPU and that this user may open /dev/nvidia*"
}

// validVisible reports whether a CUDA_VISIBLE_DEVICES value can show a GPU:
// not empty and not starting with -1 (CUDA stops at the first invalid entry).
func validVisible(v string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(v), ",")
	first = strings.TrimSpace(first)
	if first == "" {
		return false
	}
	if n, err := strconv.Atoi(first); err == nil {
		return n >= 0
	}
	return strings.HasPrefix(first, "GPU-") || strings.HasPrefix(first, "MIG-")
}

// ClassifyCUDA names the problem behind err, an error of the CUDA plugin
// at f.Plugin while it was loaded or its client created.
func ClassifyCUDA(err error, f CUDAFacts) *CUDAError {
	if e := f.Check(); e != nil {
		e.Err = err
		return e
	}
	msg := err.Error()
	switch {
	case errors.Is(err, ErrPJRTVersion), strings.Contains(msg, "PJRT plugin API function"), strings.Contains(msg, "nil plugin"),
		strings.Contains(msg, "initializing PJRT"), strings.Contains(msg, "loading PJRT plugin"):
		return &CUDAError{Problem: CUDAPluginUnusable, Err: err, Reason: msg,
			Advice: "reinstall the pinned plugin with `latent setup --cuda --force`, which this go-xla can use"}
	case strings.Contains(msg, "No visible GPU devices"):
		reason, advice := f.noDevice()
		return &CUDAError{Problem: CUDANoDevice, Err: err, Reason: reason + "; the plugin says: " + msg, Advice: advice}
	}
	return &CUDAError{Problem: CUDAFailed, Err: err, Reason: msg,
		Advice: "`latent info --backend xla:cuda` diagnoses the GPU set-up; " + LogEnvVar + "=1 shows XLA's log"}
}

// ErrPJRTVersion is wrapped by CheckPJRTVersion's error.
var ErrPJRTVersion = errors.New("PJRT C API version not supported")

// CheckPJRTVersion refuses a plugin whose PJRT C API major version differs
// from the one go-xla was built against (a different major is a different API).
func CheckPJRTVersion(path string, major, minor int) error {
	if major != pjrtMajor {
		return fmt.Errorf("%w: PJRT plugin %s implements PJRT C API v%d.%d, this go-xla speaks v%d.x", ErrPJRTVersion, path, major, minor, pjrtMajor)
	}
	return nil
}

// pjrtMajor is the PJRT C API major version of go-xla's headers.
const pjrtMajor = 0

// CUDA client options (PJRT GPU client create options, as JAX sets them).
const (
	EnvPreallocate    = "XLA_PYTHON_CLIENT_PREALLOCATE"  // "false" or "0": no up-front reservation
	EnvMemoryFraction = "XLA_PYTHON_CLIENT_MEM_FRACTION" // 0 < f <= 1: the share of GPU memory XLA takes
	EnvAllocator      = "XLA_PYTHON_CLIENT_ALLOCATOR"    // default, platform, bfc or cuda_async
)

// cudaClientOptions reads the GPU memory settings from getenv, as JAX does.
// XLA's default reserves 75% of each GPU's memory when the client starts.
func cudaClientOptions(getenv func(string) string) (pjrt.NamedValuesMap, error) {
	opts := pjrt.NamedValuesMap{}
	if v := strings.TrimSpace(getenv(EnvPreallocate)); v != "" {
		switch strings.ToLower(v) {
		case "false", "0", "no":
			opts["preallocate"] = false
		case "true", "1", "yes":
			opts["preallocate"] = true
		default:
			return nil, fmt.Errorf("$%s=%q: want true or false", EnvPreallocate, v)
		}
	}
	if v := strings.TrimSpace(getenv(EnvMemoryFraction)); v != "" {
		f, err := strconv.ParseFloat(v, 32)
		if err != nil || f <= 0 || f > 1 {
			return nil, fmt.Errorf("$%s=%q: want a fraction of GPU memory in (0, 1], e.g. 0.5", EnvMemoryFraction, v)
		}
		opts["memory_fraction"] = float32(f)
	}
	if v := strings.TrimSpace(getenv(EnvAllocator)); v != "" {
		switch v {
		case "default", "platform", "bfc", "cuda_async":
			opts["allocator"] = v
		default:
			return nil, fmt.Errorf("$%s=%q: want default, platform, bfc or cuda_async", EnvAllocator, v)
		}
	}
	return opts, nil
}

// CUDAPluginFor returns the CUDA plugin a backend choice would load: the
// plugin it names (xla:cuda or a path to a CUDA plugin), or with no choice
// (nor $GOMLX_BACKEND) the installed one. named reports whether the choice
// names a CUDA plugin; found whether it exists.
func CUDAPluginFor(choice string) (path string, named, found bool) {
	config := strings.TrimSpace(choice)
	if config == "" {
		config = strings.TrimSpace(os.Getenv(EnvVar))
	}
	if config == "" {
		path, found = findPlugin("cuda")
		return path, false, found
	}
	_, spec, _ := strings.Cut(config, ":")
	plugin, _, _ := strings.Cut(spec, ",")
	if !isCUDAPlugin(plugin) {
		return "", false, false
	}
	if filepath.IsAbs(plugin) {
		_, err := os.Stat(plugin)
		return plugin, true, err == nil
	}
	path, found = findPlugin(plugin)
	return path, true, found
}
