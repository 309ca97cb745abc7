// Package pluginpath is the layout of the PJRT plugins that `latent setup`
// installs in the go-xla folder: where pjrtplugin puts them and where
// backend looks for them, without backend importing the installer.
package pluginpath

import (
	"fmt"
	"path/filepath"
)

// CUDAPluginName is the name latent gives the CUDA plugin, the one go-xla
// and `--backend xla:cuda` look for.
const CUDAPluginName = "pjrt_c_api_cuda_plugin.so"

// CUDADir is the folder of a CUDA major version's install inside the
// go-xla folder dir: cudaNN/pjrt holds the plugin and cudaNN/nvidia the
// NVIDIA libraries, where the plugin's RPATH ($ORIGIN/../nvidia/...) finds
// them.
func CUDADir(dir string, major int) string { return filepath.Join(dir, fmt.Sprintf("cuda%d", major)) }

// CUDAPluginPath is where the plugin of a CUDA major version is installed
// in the go-xla folder dir.
func CUDAPluginPath(dir string, major int) string {
	return filepath.Join(CUDADir(dir, major), "pjrt", CUDAPluginName)
}
