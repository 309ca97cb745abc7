package nvidia_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/backend/nvidia"
	"github.com/latent-vae/latent/internal/testenv"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestFind: libraries are found where the plugin's RPATH looks, in both
// layouts (latent setup --cuda's cudaNN/pjrt beside cudaNN/nvidia, and a
// Python site-packages' jax_plugins/xla_cudaNN beside nvidia), and by name
// in $LD_LIBRARY_PATH.
func TestFind(t *testing.T) {
	root := t.TempDir()
	setup := filepath.Join(root, "go-xla", "cuda13", "pjrt", "pjrt_c_api_cuda_plugin.so")
	touch(t, setup)
	touch(t, filepath.Join(root, "go-xla", "cuda13", "nvidia", "cu13", "lib", "libcudart.so.13"))
	touch(t, filepath.Join(root, "go-xla", "cuda13", "nvidia", "cu13", "nvvm", "libdevice", "libdevice.10.bc"))
	pip := filepath.Join(root, "site-packages", "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	touch(t, pip)
	touch(t, filepath.Join(root, "site-packages", "nvidia", "cudnn", "lib", "libcudnn.so.9"))
	ld := filepath.Join(root, "ld")
	touch(t, filepath.Join(ld, "libnccl.so.2"))
	t.Setenv("LD_LIBRARY_PATH", "relative:"+ld)
	names := []string{"cu13/lib/libcudart.so.13", "cudnn/lib/libcudnn.so.9", "nccl/lib/libnccl.so.2"}
	r, _ := nvidia.ReleaseFor(13)
	for _, tc := range []struct {
		plugin  string
		found   []string // paths, "" for missing, in names' order
		dataDir string
	}{
		{setup, []string{filepath.Join(root, "go-xla", "cuda13", "nvidia", names[0]), "", filepath.Join(ld, "libnccl.so.2")},
			filepath.Join(root, "go-xla", "cuda13", "nvidia", "cu13")},
		{pip, []string{"", filepath.Join(root, "site-packages", "nvidia", names[1]), filepath.Join(ld, "libnccl.so.2")}, ""},
	} {
		files := nvidia.Find(tc.plugin, names)
		for i, f := range files {
			if f.Name != names[i] || f.Path != tc.found[i] {
				t.Errorf("plugin %s: %s found at %q, want %q", tc.plugin, f.Name, f.Path, tc.found[i])
			}
		}
		var wantMissing []string
		for i, p := range tc.found {
			if p == "" {
				wantMissing = append(wantMissing, names[i])
			}
		}
		if missing := nvidia.Missing(files); !slices.Equal(missing, wantMissing) {
			t.Errorf("plugin %s: missing %v, want %v", tc.plugin, missing, wantMissing)
		}
		if got := nvidia.DataDir(tc.plugin, r); got != tc.dataDir {
			t.Errorf("plugin %s: data dir %q, want %q", tc.plugin, got, tc.dataDir)
		}
	}
}

// TestPluginRelease reads the CUDA version from the real plugin's RPATH.
func TestPluginRelease(t *testing.T) {
	r, ok := nvidia.PluginRelease(testenv.CUDAPlugin(t))
	if !ok || r.Major != 13 || r.MinDriver != "580" {
		t.Errorf("PluginRelease of the real CUDA 13 plugin: %+v, %v", r, ok)
	}
	notELF := filepath.Join(t.TempDir(), "x.so")
	touch(t, notELF)
	if r, ok := nvidia.PluginRelease(notELF); ok {
		t.Errorf("PluginRelease of a non-ELF file: %+v", r)
	}
}

// TestProbeDriverWithoutDriver: where libcuda.so.1 is absent the probe says
// so (and does not crash).
func TestProbeDriverWithoutDriver(t *testing.T) {
	d := nvidia.ProbeDriver()
	if d.Loaded {
		t.Skipf("this machine has an NVIDIA driver: CUDA %s, %d GPUs", nvidia.VersionString(d.CUDAVersion), len(d.Devices))
	}
	if !strings.Contains(d.LoadError, "libcuda.so.1") || len(d.Devices) != 0 {
		t.Errorf("probe without a driver: %+v, want the loader's error naming libcuda.so.1", d)
	}
}

// TestProbeDriverWithDriver: where libcuda.so.1 loads, the probe's success
// path: the driver's CUDA version, its GPUs with a name, memory and a
// compute capability, and (where nvidia-smi is installed) the same GPU
// names and driver release as nvidia-smi reports. Without a driver,
// TestProbeDriverWithoutDriver runs instead.
func TestProbeDriverWithDriver(t *testing.T) {
	d := nvidia.ProbeDriver()
	if !d.Loaded {
		t.Skipf("no NVIDIA driver here (%s): TestProbeDriverWithoutDriver covers the probe", d.LoadError)
	}
	if d.LoadError != "" || d.CUDAVersion < 10000 || d.CUDAVersion%10 != 0 {
		t.Errorf("driver loaded with LoadError %q, CUDA version %d: want no error and a version >= 10000 (10.0) in cuDriverGetVersion's form", d.LoadError, d.CUDAVersion)
	}
	_, hidden := os.LookupEnv("CUDA_VISIBLE_DEVICES")
	nodes, _ := filepath.Glob("/dev/nvidia[0-9]*")
	if len(nodes) > 0 && !hidden && (d.InitCode != 0 || len(d.Devices) == 0) {
		t.Errorf("%d GPU device files and CUDA_VISIBLE_DEVICES unset, but cuInit gave %d (%s) and %d GPUs", len(nodes), d.InitCode, d.InitError, len(d.Devices))
	}
	for i, dev := range d.Devices {
		if strings.TrimSpace(dev.Name) == "" || dev.MemoryBytes < 1<<30 || dev.CapMajor < 3 || dev.CapMinor < 0 {
			t.Errorf("GPU %d: %+v; want a name, at least 1 GiB and a compute capability >= 3.0", i, dev)
		}
	}
	smi, err := exec.LookPath("nvidia-smi")
	if err != nil {
		t.Skipf("nvidia-smi not installed: GPU names and the driver release are not cross-checked (%v)", err)
	}
	out, err := exec.Command(smi, "--query-gpu=name,driver_version", "--format=csv,noheader").Output()
	if err != nil {
		t.Fatalf("%s: %v", smi, err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, release, _ := strings.Cut(line, ",")
		names = append(names, strings.TrimSpace(name))
		if release = strings.TrimSpace(release); d.Release != "" && release != d.Release {
			t.Errorf("the probe says driver release %q, nvidia-smi %q", d.Release, release)
		}
	}
	var got []string
	for _, dev := range d.Devices {
		got = append(got, dev.Name)
	}
	if !hidden && !slices.Equal(got, names) {
		t.Errorf("the probe lists GPUs %q, nvidia-smi %q", got, names)
	}
}
