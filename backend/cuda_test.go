package backend

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/backend/nvidia"
	"github.com/latent-vae/latent/pjrtplugin"
	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

// goodFacts is a CUDA 13 plugin with everything it needs: a 580 driver,
// one GPU and every NVIDIA file.
func goodFacts() CUDAFacts {
	r, _ := nvidia.ReleaseFor(13)
	f := CUDAFacts{Plugin: "/x/cuda13/pjrt/pjrt_c_api_cuda_plugin.so", Release: r, ReleaseKnown: true,
		Driver:      nvidia.Driver{Loaded: true, CUDAVersion: 13000, Release: "580.65.06", Devices: []nvidia.Device{{Name: "NVIDIA H200"}}},
		DeviceNodes: []string{"/dev/nvidia0"}}
	for _, name := range append(append([]string{}, r.Libraries...), r.Tools...) {
		f.Files = append(f.Files, nvidia.File{Name: name, Path: "/x/cuda13/nvidia/" + name})
	}
	return f
}

// TestCUDACheck: each problem found before the plugin loads gets its class,
// the exact reason and its own advice.
func TestCUDACheck(t *testing.T) {
	cu12, _ := nvidia.ReleaseFor(12)
	tests := []struct {
		name    string
		change  func(f *CUDAFacts)
		want    CUDAProblem // 0: nothing wrong
		reason  []string
		advice  []string
		notWant string // must not appear in the message
	}{
		{"ready", func(f *CUDAFacts) {}, 0, nil, nil, ""},
		{"no driver", func(f *CUDAFacts) {
			f.Driver = nvidia.Driver{LoadError: "libcuda.so.1: cannot open shared object file"}
			f.DeviceNodes = nil
		}, CUDANoDriver, []string{"libcuda.so.1 cannot be loaded (libcuda.so.1: cannot open"}, []string{"NVIDIA driver >= 580", "--gpus all", "--backend xla:cpu"}, "exists"},
		{"no driver library but a GPU device file", func(f *CUDAFacts) {
			f.Driver = nvidia.Driver{LoadError: "not found"}
		}, CUDANoDriver, []string{"/dev/nvidia0 exists"}, []string{">= 580"}, ""},
		{"driver too old for CUDA 13", func(f *CUDAFacts) {
			f.Driver.CUDAVersion, f.Driver.Release = 12040, "550.54.15"
		}, CUDADriverTooOld, []string{"(release 550.54.15) supports CUDA 12.4", "CUDA 13 needs an NVIDIA driver >= 580"}, []string{"upgrade the NVIDIA driver to >= 580", "latent setup --cuda 12"}, ""},
		{"driver too old for CUDA 12", func(f *CUDAFacts) {
			f.Release, f.Driver.CUDAVersion = cu12, 11080
		}, CUDADriverTooOld, []string{"supports CUDA 11.8", "CUDA 12 needs an NVIDIA driver >= 525"}, []string{">= 525"}, "--cuda 12"},
		{"insufficient driver at cuInit", func(f *CUDAFacts) {
			f.Driver.InitCode, f.Driver.Devices = nvidia.ErrInsufficient, nil
		}, CUDADriverTooOld, nil, []string{">= 580"}, ""},
		{"tools missing are not fatal", func(f *CUDAFacts) {
			f.Files[11].Path, f.Files[12].Path = "", ""
		}, 0, nil, nil, ""},
		{"CUDA_VISIBLE_DEVICES empty", func(f *CUDAFacts) {
			f.Driver.InitCode, f.Driver.InitError, f.Driver.Devices = nvidia.ErrNoDevice, "CUDA_ERROR_NO_DEVICE", nil
			f.VisibleSet, f.VisibleDevices = true, ""
		}, CUDANoDevice, []string{`CUDA_VISIBLE_DEVICES="" hides every GPU`, "CUDA_ERROR_NO_DEVICE"}, []string{"unset CUDA_VISIBLE_DEVICES"}, ""},
		{"CUDA_VISIBLE_DEVICES -1", func(f *CUDAFacts) {
			f.Driver.Devices = nil
			f.VisibleSet, f.VisibleDevices = true, "-1"
		}, CUDANoDevice, []string{`CUDA_VISIBLE_DEVICES="-1" hides every GPU`}, []string{"unset CUDA_VISIBLE_DEVICES"}, ""},
		{"container without GPUs", func(f *CUDAFacts) {
			f.Driver.InitCode, f.Driver.InitError, f.Driver.Devices = nvidia.ErrNoDevice, "CUDA_ERROR_NO_DEVICE", nil
			f.DeviceNodes = nil
		}, CUDANoDevice, []string{"no /dev/nvidia[0-9] device files", "container started without GPUs"}, []string{"docker run --gpus all"}, ""},
		{"CUDA_VISIBLE_DEVICES names no GPU", func(f *CUDAFacts) {
			f.Driver.Devices = nil
			f.VisibleSet, f.VisibleDevices = true, "5"
		}, CUDANoDevice, []string{`shows no GPU with CUDA_VISIBLE_DEVICES="5"`}, []string{"nvidia-smi -L"}, ""},
		{"libraries missing", func(f *CUDAFacts) {
			f.Files[4].Path, f.Files[9].Path = "", ""
		}, CUDALibrariesMissing, []string{"2 of the 11 NVIDIA libraries", "cu13/lib/libcublas.so.13, cudnn/lib/libcudnn.so.9", "$LD_LIBRARY_PATH"}, []string{"latent setup --cuda"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			tc.change(&f)
			e := f.Check()
			if tc.want == 0 {
				if e != nil {
					t.Fatalf("Check = %v, want nil", e)
				}
				return
			}
			if e == nil || e.Problem != tc.want {
				t.Fatalf("Check = %v, want the problem %q", e, tc.want)
			}
			for _, w := range tc.reason {
				if !strings.Contains(e.Reason, w) {
					t.Errorf("reason %q lacks %q", e.Reason, w)
				}
			}
			for _, w := range tc.advice {
				if !strings.Contains(e.Advice, w) {
					t.Errorf("advice %q lacks %q", e.Advice, w)
				}
			}
			if msg := e.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, tc.want.String()+": ") || (tc.notWant != "" && strings.Contains(msg, tc.notWant)) {
				t.Errorf("message %q: want one line starting %q, without %q", msg, tc.want.String()+": ", tc.notWant)
			}
		})
	}
}

// TestClassifyCUDA: errors of the plugin itself, classified by message
// where the facts show nothing wrong.
func TestClassifyCUDA(t *testing.T) {
	tests := []struct {
		name   string
		facts  func(f *CUDAFacts)
		err    string
		want   CUDAProblem
		advice string
	}{
		{"no GetPjrtApi", nil, `failed to get PJRT plugin API function for "x"`, CUDAPluginUnusable, "latent setup --cuda --force"},
		{"API version", nil, CheckPJRTVersion("x.so", 1, 2).Error(), CUDAPluginUnusable, "latent setup --cuda --force"},
		{"dlopen fails", nil, "loading PJRT plugin x.so: undefined symbol: foo", CUDAPluginUnusable, "latent setup --cuda --force"},
		{"no visible GPU", nil, "PJRT error (code=9): No visible GPU devices.", CUDANoDevice, "nvidia-smi"},
		{"unknown", nil, "PJRT error (code=13): out of memory", CUDAFailed, "latent info --backend xla:cuda"},
		{"the facts first", func(f *CUDAFacts) { f.Driver = nvidia.Driver{LoadError: "gone"} }, "No visible GPU devices", CUDANoDriver, ">= 580"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			if tc.facts != nil {
				tc.facts(&f)
			}
			cause := errors.New(tc.err)
			if tc.name == "API version" {
				cause = CheckPJRTVersion("x.so", 1, 2)
			}
			e := ClassifyCUDA(cause, f)
			if e.Problem != tc.want || !strings.Contains(e.Advice, tc.advice) || !errors.Is(e, cause) {
				t.Errorf("ClassifyCUDA(%q) = %v; want %q with advice %q, wrapping the error", tc.err, e, tc.want, tc.advice)
			}
		})
	}
}

func TestCheckPJRTVersion(t *testing.T) {
	if err := CheckPJRTVersion("p.so", 0, 116); err != nil {
		t.Errorf("v0.116: %v", err)
	}
	if err := CheckPJRTVersion("p.so", 1, 0); err == nil || !strings.Contains(err.Error(), "v1.0") {
		t.Errorf("v1.0: %v, want an error naming it", err)
	}
}

// TestCUDAClientOptions: JAX's memory variables become the PJRT GPU
// client's create options; bad values are errors naming the variable.
func TestCUDAClientOptions(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    pjrt.NamedValuesMap
		wantErr string
	}{
		{nil, pjrt.NamedValuesMap{}, ""},
		{map[string]string{EnvPreallocate: "false"}, pjrt.NamedValuesMap{"preallocate": false}, ""},
		{map[string]string{EnvPreallocate: "true", EnvMemoryFraction: ".25"}, pjrt.NamedValuesMap{"preallocate": true, "memory_fraction": float32(0.25)}, ""},
		{map[string]string{EnvAllocator: "platform"}, pjrt.NamedValuesMap{"allocator": "platform"}, ""},
		{map[string]string{EnvPreallocate: "maybe"}, nil, "$XLA_PYTHON_CLIENT_PREALLOCATE"},
		{map[string]string{EnvMemoryFraction: "1.5"}, nil, "$XLA_PYTHON_CLIENT_MEM_FRACTION"},
		{map[string]string{EnvAllocator: "malloc"}, nil, "$XLA_PYTHON_CLIENT_ALLOCATOR"},
	}
	for _, tc := range tests {
		got, err := cudaClientOptions(func(k string) string { return tc.env[k] })
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want one naming %s", tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%v: %v, %v; want %v", tc.env, got, err, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%v: option %s = %v, want %v", tc.env, k, got[k], v)
			}
		}
	}
}

// TestDefaultBackendReason: with --backend unset, an installed CUDA plugin
// that cannot run (here: no driver) leaves XLA CPU, and the backend says why.
func TestDefaultBackendReason(t *testing.T) {
	if nvidia.ProbeDriver().Loaded {
		t.Skip("this machine has an NVIDIA driver")
	}
	cpu := realPlugin(t)
	for _, withCUDA := range []bool{false, true} {
		dir := t.TempDir()
		if err := os.Symlink(cpu, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")); err != nil {
			t.Fatal(err)
		}
		want := "by default: no CUDA plugin installed"
		if withCUDA {
			os.WriteFile(filepath.Join(dir, "pjrt_c_api_cuda_plugin.so"), randomBytes(minPluginSize*2), 0o755)
			want = "by default: CUDA plugin installed, but no NVIDIA driver: libcuda.so.1 cannot be loaded"
		}
		t.Setenv(PluginPathEnvVar, dir)
		t.Setenv(EnvVar, "")
		b, err := Open("", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if b.Config != "xla:cpu" || !strings.HasPrefix(b.Reason, want) || !strings.Contains(b.Summary(), "; "+want) {
			t.Errorf("CUDA plugin %v: backend %s, reason %q, summary %q; want xla:cpu because %q", withCUDA, b.Config, b.Reason, b.Summary(), want)
		}
		b.Finalize()
	}
}

func TestValidVisible(t *testing.T) {
	for v, want := range map[string]bool{"": false, " ": false, "-1": false, "-1,0": false, "0": true, "1,0": true, "GPU-8932f937": true, "none": false} {
		if got := validVisible(v); got != want {
			t.Errorf("validVisible(%q) = %v, want %v", v, got, want)
		}
	}
}

// cudaProblemNames are the CUDA problems' names as README.md's GPU table
// lists them, in its order: fixed here, so that renaming one in the code
// or in the README fails.
var cudaProblemNames = []struct {
	problem CUDAProblem
	name    string
}{
	{CUDANoPlugin, "no CUDA plugin"},
	{CUDANoDriver, "no NVIDIA driver"},
	{CUDADriverTooOld, "NVIDIA driver too old"},
	{CUDANoDevice, "no visible GPU"},
	{CUDALibrariesMissing, "NVIDIA libraries missing"},
	{CUDAPluginUnusable, "CUDA plugin unusable"},
	{CUDAFailed, "CUDA backend failed"},
}

// readmeCUDAProblems returns the first column of README.md's table of CUDA
// problems (the one whose header is "problem"), without its backquotes.
func readmeCUDAProblems(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	in := false
	for _, line := range strings.Split(string(text), "\n") {
		cells := strings.Split(line, "|")
		switch {
		case len(cells) < 3:
			in = false
		case strings.TrimSpace(cells[1]) == "problem":
			in = true
		case in && !strings.HasPrefix(strings.TrimSpace(cells[1]), "---"):
			names = append(names, strings.Trim(strings.TrimSpace(cells[1]), "`"))
		}
	}
	return names
}

// TestCUDAProblemNames checks each CUDA problem's name, with which its
// error begins, against the fixed list, and README.md's table against
// the same list: every problem, in order, and nothing else.
func TestCUDAProblemNames(t *testing.T) {
	var want []string
	for _, p := range cudaProblemNames {
		want = append(want, p.name)
		e := &CUDAError{Problem: p.problem, Reason: "why", Advice: "what to do"}
		if got := p.problem.String(); got != p.name || e.Error() != p.name+": why; what to do" {
			t.Errorf("problem %d is named %q, its error %q; want %q, %q", int(p.problem), got, e.Error(), p.name, p.name+": why; what to do")
		}
	}
	if got := readmeCUDAProblems(t); !slices.Equal(got, want) {
		t.Errorf("README.md's table of CUDA problems lists %q, want %q", got, want)
	}
}

// TestCUDAWithDriver is the success path of the CUDA probe and backend on
// a machine with an NVIDIA driver (without one, the no-driver tests run):
// the test's CUDA 13 plugin (plugin only, `make test` downloads it) is
// found with its driver and GPUs, and Check names what is left to do in
// the order a user must fix it; where a whole install (`latent setup
// --cuda`) passes Check, xla:cuda opens with every visible GPU, runs a
// program as XLA CPU does, and is the default backend.
func TestCUDAWithDriver(t *testing.T) {
	d := nvidia.ProbeDriver()
	if !d.Loaded {
		t.Skipf("no NVIDIA driver here (%s): the no-driver tests cover the probe", d.LoadError)
	}
	plugin := testCUDAPlugin(t)
	facts := ProbeCUDA(plugin)
	if !facts.ReleaseKnown || facts.Release.Major != 13 || !facts.Driver.Loaded || len(facts.Files) == 0 {
		t.Fatalf("ProbeCUDA(%s) = %+v; want CUDA 13, the driver loaded and the NVIDIA files looked for", plugin, facts)
	}
	var want CUDAProblem // in the order Check promises: driver version, GPUs, libraries
	switch {
	case d.CUDAVersion < 13000 || d.InitCode == nvidia.ErrInsufficient:
		want = CUDADriverTooOld
	case d.InitCode != 0 || len(d.Devices) == 0:
		want = CUDANoDevice
	case len(nvidia.Missing(facts.Libraries())) > 0:
		want = CUDALibrariesMissing
	}
	e := facts.Check()
	switch {
	case want == 0 && e != nil:
		t.Errorf("driver CUDA %s, %d GPUs, every library found: Check = %v, want nil", nvidia.VersionString(d.CUDAVersion), len(d.Devices), e)
	case want != 0 && (e == nil || e.Problem != want):
		t.Errorf("driver CUDA %s, %d GPUs, %d libraries missing: Check = %v, want %q",
			nvidia.VersionString(d.CUDAVersion), len(d.Devices), len(nvidia.Missing(facts.Libraries())), e, want)
	}

	full, found := LocatePlugin("cuda")
	if !found || ProbeCUDA(full).Check() != nil {
		t.Skipf("no whole CUDA install that passes Check (`latent setup --cuda`): xla:cuda is not opened (%v)", found)
	}
	t.Setenv(EnvPreallocate, "false")
	t.Setenv(EnvCache, "off")
	t.Setenv(EnvVar, "")
	b, err := Open("xla:cuda", io.Discard)
	if err != nil {
		t.Fatalf("Open(xla:cuda) with %s passing Check: %v", full, err)
	}
	defer b.Finalize()
	if b.Config != "xla:cuda" || b.PluginPath != full || b.NumDevices() != len(d.Devices) || !strings.HasPrefix(b.Summary(), "backend: xla:cuda (PJRT plugin "+full) {
		t.Errorf("xla:cuda: config %q, plugin %q, %d devices (the driver shows %d), summary %q", b.Config, b.PluginPath, b.NumDevices(), len(d.Devices), b.Summary())
	}
	cpu := openCached(t, "off")
	got, ref := childProgram(b), childProgram(cpu)
	if len(got) != len(ref) {
		t.Fatalf("xla:cuda computed %v, XLA CPU %v", got, ref)
	}
	for i := range ref {
		if diff := float64(got[i] - ref[i]); !(diff <= 1e-5 && diff >= -1e-5) {
			t.Errorf("xla:cuda computed %v, XLA CPU %v: element %d differs by more than 1e-5", got, ref, i)
		}
	}
	def, err := Open("", io.Discard)
	if err != nil {
		t.Fatalf("Open(\"\") with a CUDA install passing Check: %v", err)
	}
	defer def.Finalize()
	if wantReason := fmt.Sprintf("by default: CUDA plugin installed and %d GPU(s) visible", len(d.Devices)); def.Config != "xla:cuda" || def.Reason != wantReason {
		t.Errorf("the default backend is %s because %q; want xla:cuda because %q", def.Config, def.Reason, wantReason)
	}
}

// testCUDAPlugin returns the test's CUDA 13 plugin, where
// internal/testenv.CUDAPlugin finds it (that package imports this one):
// in $LATENT_TEST_CUDA_DIR, else ~/.cache/latent/cuda-plugin. Missing, it
// fails the test with CI=true and skips it otherwise.
func testCUDAPlugin(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LATENT_TEST_CUDA_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "latent", "cuda-plugin")
	}
	path := pjrtplugin.CUDAPluginPath(dir, 13)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("real CUDA 13 PJRT plugin missing in CI (`make test` downloads it): %v", err)
		}
		t.Skipf("real CUDA 13 PJRT plugin missing (`latent setup --cuda --plugin-only --dir %s`): %v", dir, err)
	}
	return path
}
