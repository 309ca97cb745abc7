package pjrtplugin

import (
	"fmt"

	"github.com/latent-vae/latent/backend/nvidia"
)

// Report says what Install did, as `latent setup` prints it.
func (r Result) Report() string {
	if r.AlreadyInstalled {
		return fmt.Sprintf("XLA CPU PJRT plugin already installed: %s (%s %s; --force reinstalls)\n", r.Path, Package, Version)
	}
	return fmt.Sprintf("installed XLA CPU PJRT plugin: %s (%s %s, wheel SHA-256 verified)\n", r.Path, Package, Version)
}

// Report says what InstallCUDA did with release rel (the NVIDIA libraries
// too unless pluginOnly), as `latent setup --cuda` prints it, with the
// command to check it and the driver it needs.
func (r CUDAResult) Report(rel CUDARelease, pluginOnly bool) string {
	what := fmt.Sprintf("CUDA %d PJRT plugin (%s %s)", rel.Major, rel.Plugin.Package, rel.Plugin.Version)
	if !pluginOnly {
		what += fmt.Sprintf(" and %d NVIDIA library wheels", len(rel.Libraries))
	}
	if r.AlreadyInstalled {
		return fmt.Sprintf("%s already installed in %s (--force reinstalls)\n", what, r.Dir)
	}
	driver, _ := nvidia.ReleaseFor(rel.Major)
	return fmt.Sprintf("installed %s in %s: %d wheels, %.2f GB downloaded, SHA-256 verified; plugin %s\n", what, r.Dir, r.Wheels, float64(r.Bytes)/1e9, r.Plugin) +
		fmt.Sprintf("next: latent info --backend xla:cuda (needs an NVIDIA driver >= %s)\n", driver.MinDriver)
}
