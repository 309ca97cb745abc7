package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/latent-vae/latent/pjrtplugin"
)

// CUDAPluginDirEnv names the folder where `make test` keeps the real CUDA 13
// PJRT plugin (`latent setup --cuda --plugin-only --dir DIR`), once per
// machine for every clone; default ~/.cache/latent/cuda-plugin.
const CUDAPluginDirEnv = "LATENT_TEST_CUDA_DIR"

// CUDAPlugin returns the path of the real CUDA 13 PJRT plugin that `make
// test` downloads, skipping tb (failing it with CI=true) when it is missing.
func CUDAPlugin(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(CUDAPluginDirEnv)
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			Missing(tb, "no home folder for the CUDA plugin cache: %v", err)
		}
		dir = filepath.Join(home, ".cache", "latent", "cuda-plugin")
	}
	path := pjrtplugin.CUDAPluginPath(dir, 13)
	if _, err := os.Stat(path); err != nil {
		Missing(tb, "real CUDA 13 PJRT plugin missing (`latent setup --cuda --plugin-only --dir %s` downloads it; `make test` does): %v", dir, err)
	}
	return path
}
