// Package nvidia finds what a CUDA PJRT plugin needs beside itself: the
// NVIDIA driver (libcuda.so.1, opened with dlopen, so latent runs where it is
// absent), the GPUs the driver shows, and the NVIDIA libraries (cuBLAS,
// cuDNN, …) of the plugin's CUDA major version, where the plugin's RPATH
// looks for them: $ORIGIN/../nvidia and $ORIGIN/../../nvidia.
package nvidia

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
)

// Release is what a CUDA major version needs.
type Release struct {
	Major int
	// MinCUDA is the least CUDA version the driver must support
	// (cuDriverGetVersion: 1000*major + 10*minor).
	MinCUDA int
	// MinDriver is the driver release that first supports MinCUDA on Linux.
	MinDriver string
	// Libraries are the libraries the plugin loads, as paths under an
	// nvidia/ folder, in an order where each comes after those it needs.
	Libraries []string
	// Tools are the other files XLA uses, under the same folder: ptxas and libdevice.
	Tools []string
	// DataDir is the folder under nvidia/ that holds bin/ptxas and
	// nvvm/libdevice (XLA's --xla_gpu_cuda_data_dir).
	DataDir string
}

// Releases are the CUDA versions latent knows, newest first.
var Releases = []Release{
	{
		Major: 13, MinCUDA: 13000, MinDriver: "580",
		Libraries: []string{
			"cu13/lib/libcudart.so.13", "cu13/lib/libnvJitLink.so.13", "cu13/lib/libnvrtc.so.13",
			"cu13/lib/libcublasLt.so.13", "cu13/lib/libcublas.so.13", "cu13/lib/libcufft.so.12",
			"cu13/lib/libcusparse.so.12", "cu13/lib/libcusolver.so.12", "cu13/lib/libcupti.so.13",
			"cudnn/lib/libcudnn.so.9", "nccl/lib/libnccl.so.2",
		},
		Tools:   []string{"cu13/bin/ptxas", "cu13/nvvm/libdevice/libdevice.10.bc"},
		DataDir: "cu13",
	},
	{
		Major: 12, MinCUDA: 12000, MinDriver: "525",
		Libraries: []string{
			"cuda_runtime/lib/libcudart.so.12", "nvjitlink/lib/libnvJitLink.so.12", "cuda_nvrtc/lib/libnvrtc.so.12",
			"cublas/lib/libcublasLt.so.12", "cublas/lib/libcublas.so.12", "cufft/lib/libcufft.so.11",
			"cusparse/lib/libcusparse.so.12", "cusolver/lib/libcusolver.so.11", "cuda_cupti/lib/libcupti.so.12",
			"cudnn/lib/libcudnn.so.9", "nccl/lib/libnccl.so.2",
		},
		Tools:   []string{"cuda_nvcc/bin/ptxas", "cuda_nvcc/nvvm/libdevice/libdevice.10.bc"},
		DataDir: "cuda_nvcc",
	},
}

// ReleaseFor returns the release of CUDA major version major.
func ReleaseFor(major int) (Release, bool) {
	for _, r := range Releases {
		if r.Major == major {
			return r, true
		}
	}
	return Release{}, false
}

// PluginRelease guesses the CUDA release a plugin was built for from the
// folders its RPATH names (nvidia/cu13 for CUDA 13, nvidia/cublas for 12);
// false when it names neither or cannot be read.
func PluginRelease(plugin string) (Release, bool) {
	f, err := elf.Open(plugin)
	if err != nil {
		return Release{}, false
	}
	defer f.Close()
	var paths []string
	for _, tag := range []elf.DynTag{elf.DT_RPATH, elf.DT_RUNPATH} {
		if s, err := f.DynString(tag); err == nil {
			paths = append(paths, s...)
		}
	}
	rpath := strings.Join(paths, ":")
	switch {
	case strings.Contains(rpath, "nvidia/cu13/"):
		return ReleaseFor(13)
	case strings.Contains(rpath, "nvidia/cublas/"):
		return ReleaseFor(12)
	}
	return Release{}, false
}

// Roots are the nvidia/ folders searched for a plugin's libraries, as its
// RPATH names them: beside the plugin's folder and one above it (the
// layout of `latent setup --cuda` and of a Python site-packages).
func Roots(plugin string) []string {
	dir := filepath.Dir(plugin)
	return []string{filepath.Join(dir, "..", "nvidia"), filepath.Join(dir, "..", "..", "nvidia")}
}

// File is one file a plugin needs and where it was found.
type File struct {
	Name string // path under nvidia/, e.g. cu13/lib/libcublas.so.13
	Path string // where it is; empty when missing
}

// Find looks for names under the plugin's Roots, then (by base name) in
// $LD_LIBRARY_PATH's folders.
func Find(plugin string, names []string) []File {
	roots := Roots(plugin)
	var ldPath []string
	for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		if filepath.IsAbs(d) {
			ldPath = append(ldPath, d)
		}
	}
	out := make([]File, len(names))
	for i, name := range names {
		out[i].Name = name
		var candidates []string
		for _, r := range roots {
			candidates = append(candidates, filepath.Join(r, name))
		}
		for _, d := range ldPath {
			candidates = append(candidates, filepath.Join(d, filepath.Base(name)))
		}
		for _, c := range candidates {
			if info, err := os.Stat(c); err == nil && info.Mode().IsRegular() {
				out[i].Path = filepath.Clean(c)
				break
			}
		}
	}
	return out
}

// Missing returns the names of the files Find did not find.
func Missing(files []File) []string {
	var names []string
	for _, f := range files {
		if f.Path == "" {
			names = append(names, f.Name)
		}
	}
	return names
}

// DataDir returns the folder to give XLA as --xla_gpu_cuda_data_dir for the
// plugin (holding bin/ptxas and nvvm/libdevice); empty when none is found.
func DataDir(plugin string, r Release) string {
	for _, root := range Roots(plugin) {
		dir := filepath.Join(root, r.DataDir)
		if _, err := os.Stat(filepath.Join(dir, "nvvm", "libdevice")); err == nil {
			return filepath.Clean(dir)
		}
	}
	return ""
}
