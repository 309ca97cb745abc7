package nvidia_test

import (
	"os"
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
