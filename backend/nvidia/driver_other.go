//go:build !linux

package nvidia

import "runtime"

// ProbeDriver reports no driver: latent's CUDA backend runs on Linux only.
func ProbeDriver() Driver {
	return Driver{LoadError: "the CUDA PJRT plugin runs on Linux only, this is " + runtime.GOOS}
}

// Preload does nothing off Linux.
func Preload(files []File) error { return nil }
