package pjrtplugin

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/internal/pluginpath"
)

// CUDARelease is a pinned CUDA PJRT plugin wheel and the NVIDIA library
// wheels it loads, as jax-cudaNN-plugin's Requires-Dist names them (all but
// nvidia-nvshmem, which the plugin's RPATH does not search and XLA uses only
// when asked to).
type CUDARelease struct {
	Major        int
	Plugin       Wheel
	PluginMember string // the plugin inside its wheel
	Libraries    []LibraryWheel
	// Unpacked is an upper bound of the bytes the install takes on disk.
	Unpacked int64
}

// LibraryWheel is an NVIDIA wheel and the files under nvidia/ it must hold.
type LibraryWheel struct {
	Wheel
	Provides []string
}

// CUDAReleases are the pinned releases, newest first: CUDA 13 needs an
// NVIDIA driver >= 580, CUDA 12 one >= 525.
var CUDAReleases = []CUDARelease{
	{
		Major: 13,
		Plugin: Wheel{"jax-cuda13-pjrt", "0.12.0.1", "jax_cuda13_pjrt-0.12.0.1-py3-none-manylinux_2_27_x86_64.whl",
			"5899bb6177eda86ea532afb9a26794f2bdd04966f6a01f9028266b16c2b6cf90", 134922808},
		PluginMember: "jax_plugins/xla_cuda13/xla_cuda_plugin.so",
		Unpacked:     3_750_000_000,
		Libraries: []LibraryWheel{
			{Wheel{"nvidia-cublas", "13.10.0.20", "nvidia_cublas-13.10.0.20-py3-none-manylinux1_x86_64.manylinux_2_5_x86_64.whl",
				"dcc6d63884c53d07e267ce7e6feac17b2538cebaafec5db865736c3e28e4dc84", 444289903},
				[]string{"cu13/lib/libcublasLt.so.13", "cu13/lib/libcublas.so.13"}},
			{Wheel{"nvidia-cuda-cupti", "13.5.25", "nvidia_cuda_cupti-13.5.25-py3-none-manylinux_2_25_x86_64.whl",
				"9dcca41c12a734192b14e7128ae116bc9ce1b9da686e2ebf48ae7a4415f76650", 12592974},
				[]string{"cu13/lib/libcupti.so.13"}},
			{Wheel{"nvidia-cuda-nvcc", "13.5.37", "nvidia_cuda_nvcc-13.5.37-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"f5c4f7ead5d964fb4af42bbf1e6d3ec3c1e6e9d83b53749f691d387e7fcaa3a7", 47028279},
				[]string{"cu13/bin/ptxas"}},
			{Wheel{"nvidia-cuda-runtime", "13.5.37", "nvidia_cuda_runtime-13.5.37-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"df2b79a8852f10d1fef8c848489c49eebb5754051bf870202a862831412b179d", 2504024},
				[]string{"cu13/lib/libcudart.so.13"}},
			{Wheel{"nvidia-cudnn-cu13", "9.28.1.4", "nvidia_cudnn_cu13-9.28.1.4-py3-none-manylinux_2_27_x86_64.whl",
				"a54f205b1db1f2895d99f398754db1369816f0569dd459731f925635cf7b65ec", 516817937},
				[]string{"cudnn/lib/libcudnn.so.9"}},
			{Wheel{"nvidia-cufft", "12.5.0.14", "nvidia_cufft-12.5.0.14-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"b8be26837a5abad2b5b74f3e92dd29f622a42934b355be0961a48712cbba23ad", 165072555},
				[]string{"cu13/lib/libcufft.so.12"}},
			{Wheel{"nvidia-cusolver", "12.4.1.2", "nvidia_cusolver-12.4.1.2-py3-none-manylinux_2_27_x86_64.whl",
				"b3b8e02fd2f2df869369af075dc3a179d43f6f7b85e94632a7dce556697be044", 260003940},
				[]string{"cu13/lib/libcusolver.so.12"}},
			{Wheel{"nvidia-cusparse", "12.9.4.2", "nvidia_cusparse-12.9.4.2-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"072667e58c851a318738f5527a12eb225cbf058803f2ea451c722d8cf8edddec", 230422857},
				[]string{"cu13/lib/libcusparse.so.12"}},
			{Wheel{"nvidia-nccl-cu13", "2.32.3", "nvidia_nccl_cu13-2.32.3-py3-none-manylinux_2_27_x86_64.whl",
				"1459723080ac889d73a26edfa3e04383a7928ab31ac8f0ec43b3ea9548b04ff3", 305100071},
				[]string{"nccl/lib/libnccl.so.2"}},
			{Wheel{"nvidia-nvjitlink", "13.5.37", "nvidia_nvjitlink-13.5.37-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
				"280d7cb9649704145f074b8dbde500de04ce02d0872e066e20a83c17bcaa93eb", 46642491},
				[]string{"cu13/lib/libnvJitLink.so.13"}},
			{Wheel{"nvidia-cuda-nvrtc", "13.5.37", "nvidia_cuda_nvrtc-13.5.37-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
				"86b4d68058807988b7d9af5b44917a0601e9c337f35ccd657bfb3c759ff8d8bc", 58185930},
				[]string{"cu13/lib/libnvrtc.so.13"}},
			{Wheel{"nvidia-nvvm", "13.5.37", "nvidia_nvvm-13.5.37-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
				"c41bfa362e407405163f103c2229f0765f8cc2ed7d148b754dc77f228bf7e070", 75141406},
				[]string{"cu13/nvvm/libdevice/libdevice.10.bc"}},
		},
	},
	{
		Major: 12,
		Plugin: Wheel{"jax-cuda12-pjrt", "0.12.0.1", "jax_cuda12_pjrt-0.12.0.1-py3-none-manylinux_2_27_x86_64.whl",
			"5ec28e06198d094031c37590b4ea753ae8cde4879ab4b60baf40f0dffb673286", 191846358},
		PluginMember: "jax_plugins/xla_cuda12/xla_cuda_plugin.so",
		Unpacked:     4_760_000_000,
		Libraries: []LibraryWheel{
			{Wheel{"nvidia-cublas-cu12", "12.9.3.13", "nvidia_cublas_cu12-12.9.3.13-py3-none-manylinux_2_27_x86_64.whl",
				"d7d51055f161b317c7105ddaae90e71eda059026074ffef93cf7cde2886bfe72", 581217458},
				[]string{"cublas/lib/libcublasLt.so.12", "cublas/lib/libcublas.so.12"}},
			{Wheel{"nvidia-cuda-cupti-cu12", "12.9.79", "nvidia_cuda_cupti_cu12-12.9.79-py3-none-manylinux_2_25_x86_64.whl",
				"096bcf334f13e1984ba36685ad4c1d6347db214de03dbb6eebb237b41d9d934f", 10814997},
				[]string{"cuda_cupti/lib/libcupti.so.12"}},
			{Wheel{"nvidia-cuda-nvcc-cu12", "12.9.86", "nvidia_cuda_nvcc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
				"5d6a0d32fdc7ea39917c20065614ae93add6f577d840233237ff08e9a38f58f0", 40546229},
				[]string{"cuda_nvcc/bin/ptxas", "cuda_nvcc/nvvm/libdevice/libdevice.10.bc"}},
			{Wheel{"nvidia-cuda-runtime-cu12", "12.9.79", "nvidia_cuda_runtime_cu12-12.9.79-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"25bba2dfb01d48a9b59ca474a1ac43c6ebf7011f1b0b8cc44f54eb6ac48a96c3", 3493179},
				[]string{"cuda_runtime/lib/libcudart.so.12"}},
			{Wheel{"nvidia-cudnn-cu12", "9.28.0.42", "nvidia_cudnn_cu12-9.28.0.42-py3-none-manylinux_2_27_x86_64.whl",
				"9ff58b7f36dacd0a93e89f8f2957b52466889217963701daa15e577317cfa375", 716538495},
				[]string{"cudnn/lib/libcudnn.so.9"}},
			{Wheel{"nvidia-cufft-cu12", "11.4.1.4", "nvidia_cufft_cu12-11.4.1.4-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"c67884f2a7d276b4b80eb56a79322a95df592ae5e765cf1243693365ccab4e28", 200877592},
				[]string{"cufft/lib/libcufft.so.11"}},
			{Wheel{"nvidia-cusolver-cu12", "11.7.5.82", "nvidia_cusolver_cu12-11.7.5.82-py3-none-manylinux_2_27_x86_64.whl",
				"15da72d1340d29b5b3cf3fd100e3cd53421dde36002eda6ed93811af63c40d88", 338117415},
				[]string{"cusolver/lib/libcusolver.so.11"}},
			{Wheel{"nvidia-cusparse-cu12", "12.5.10.65", "nvidia_cusparse_cu12-12.5.10.65-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
				"73060ce019ac064a057267c585bf1fd5a353734151f87472ff02b2c5c9984e78", 366465088},
				[]string{"cusparse/lib/libcusparse.so.12"}},
			{Wheel{"nvidia-nccl-cu12", "2.32.3", "nvidia_nccl_cu12-2.32.3-py3-none-manylinux_2_27_x86_64.whl",
				"bb94b2348e4861d5e8aa00b36c3d12d9bdf9c6369b82cbb723de0b582280a21c", 351526311},
				[]string{"nccl/lib/libnccl.so.2"}},
			{Wheel{"nvidia-nvjitlink-cu12", "12.9.86", "nvidia_nvjitlink_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
				"e3f1171dbdc83c5932a45f0f4c99180a70de9bd2718c1ab77d14104f6d7147f9", 39748338},
				[]string{"nvjitlink/lib/libnvJitLink.so.12"}},
			{Wheel{"nvidia-cuda-nvrtc-cu12", "12.9.86", "nvidia_cuda_nvrtc_cu12-12.9.86-py3-none-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
				"210cf05005a447e29214e9ce50851e83fc5f4358df8b453155d5e1918094dcb4", 89568129},
				[]string{"cuda_nvrtc/lib/libnvrtc.so.12"}},
		},
	},
}

// CUDAPluginName is the name latent gives the CUDA plugin (see package
// pluginpath, the layout backend reads).
const CUDAPluginName = pluginpath.CUDAPluginName

// CUDADir is the folder of a CUDA major version's install inside the
// go-xla folder: pluginpath.CUDADir.
func CUDADir(dir string, major int) string { return pluginpath.CUDADir(dir, major) }

// CUDAPluginPath is where InstallCUDA puts the plugin of a CUDA major
// version: pluginpath.CUDAPluginPath.
func CUDAPluginPath(dir string, major int) string { return pluginpath.CUDAPluginPath(dir, major) }

// CUDAReleaseFor returns the pinned release of CUDA major version major.
func CUDAReleaseFor(major int) (CUDARelease, error) {
	for _, r := range CUDAReleases {
		if r.Major == major {
			return r, nil
		}
	}
	return CUDARelease{}, fmt.Errorf("CUDA %d: latent has a plugin for CUDA 13 (driver >= 580) and 12 (driver >= 525)", major)
}

// Wheels returns the wheels an install downloads: the plugin's first, then
// the libraries' unless pluginOnly.
func (r CUDARelease) Wheels(pluginOnly bool) []Wheel {
	ws := []Wheel{r.Plugin}
	if !pluginOnly {
		for _, l := range r.Libraries {
			ws = append(ws, l.Wheel)
		}
	}
	return ws
}

// DownloadSize is the bytes an install downloads: the sizes of its Wheels.
func (r CUDARelease) DownloadSize(pluginOnly bool) int64 {
	var total int64
	for _, w := range r.Wheels(pluginOnly) {
		total += w.Size
	}
	return total
}

// stamp names the release installed; InstallCUDA writes it last, inside the
// folder it places, and a folder whose stamp matches is left alone.
func (r CUDARelease) stamp(pluginOnly bool) (name, content string) {
	name = "." + r.Plugin.Package + "-" + r.Plugin.Version
	if pluginOnly {
		name += ".plugin-only"
	}
	var b strings.Builder
	for _, w := range r.Wheels(pluginOnly) {
		fmt.Fprintf(&b, "%s %s %s sha256:%s\n", w.Package, w.Version, w.File, w.SHA256)
	}
	return name + ".installed", b.String()
}

// CUDAStampName is the stamp file of an install of r, inside CUDADir.
func (r CUDARelease) CUDAStampName(pluginOnly bool) string {
	name, _ := r.stamp(pluginOnly)
	return name
}

// DefaultCUDATimeout bounds a whole CUDA install: gigabytes on a slow line.
const DefaultCUDATimeout = 2 * time.Hour

// CUDAOptions say what InstallCUDA installs and where. The zero value (with
// Major 13) installs the CUDA 13 plugin and libraries from PyPI into DefaultDir.
type CUDAOptions struct {
	Options         // Dir, IndexURL, Client, timeouts, Force, Log, Progress; SHA256 is not used
	Major      int  // CUDA major version: 13 or 12
	PluginOnly bool // the plugin without the NVIDIA libraries
	// FreeSpace reports the bytes free on the file system of dir; nil: statfs.
	FreeSpace func(dir string) (uint64, error)
	// Release replaces the pinned release of Major (tests use small fake wheels).
	Release *CUDARelease
}

// CUDAResult says what InstallCUDA did.
type CUDAResult struct {
	Plugin           string // the installed plugin
	Dir              string // the folder of the install (CUDADir)
	AlreadyInstalled bool
	Wheels           int   // wheels downloaded
	Bytes            int64 // bytes downloaded
}

// InstallCUDA installs a CUDA release into CUDADir(opt.Dir, major): the plugin
// as pjrt/pjrt_c_api_cuda_plugin.so and the NVIDIA wheels' nvidia/ folders
// beside it. It checks free space first, prints the download size, builds the
// whole install in a temporary folder and renames it into place; on any
// failure (interrupted, truncated, wrong checksum, a wheel lacking a library,
// disk full) that folder is removed and an earlier install kept.
func InstallCUDA(ctx context.Context, opt CUDAOptions) (res CUDAResult, err error) {
	rel, err := opt.release()
	if err != nil {
		return res, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultCUDATimeout
	}
	if opt.Options, err = opt.withDefaults(); err != nil {
		return res, err
	}
	res.Dir = CUDADir(opt.Dir, rel.Major)
	res.Plugin = CUDAPluginPath(opt.Dir, rel.Major)
	stampName, stamp := rel.stamp(opt.PluginOnly)
	if got, err := os.ReadFile(filepath.Join(res.Dir, stampName)); err == nil && string(got) == stamp && isFile(res.Plugin) && !opt.Force {
		res.AlreadyInstalled = true
		return res, nil
	}
	wheels := rel.Wheels(opt.PluginOnly)
	var total, largest int64
	for _, w := range wheels {
		total += w.Size
		largest = max(largest, w.Size)
	}
	unpacked := rel.Unpacked
	if opt.PluginOnly {
		unpacked = 3 * rel.Plugin.Size
	}
	fmt.Fprintf(opt.Log, "CUDA %d: %d wheels, %.2f GB to download, up to %.2f GB once unpacked, into %s\n",
		rel.Major, len(wheels), float64(total)/1e9, float64(unpacked)/1e9, res.Dir)
	if err := checkFree(opt, unpacked+largest); err != nil {
		return res, err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return res, fmt.Errorf("creating %s: %w", opt.Dir, err)
	}
	removeStale(opt.Dir, filepath.Base(res.Dir), opt.Timeout)
	staging, err := os.MkdirTemp(opt.Dir, "."+filepath.Base(res.Dir)+".tmp-*")
	if err != nil {
		return res, fmt.Errorf("creating a folder in %s: %w", opt.Dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	if err := os.Chmod(staging, 0o755); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	f := fetcher{opt: opt.Options, advice: cudaOffline(opt.Dir, rel.Major)}
	for i, w := range wheels {
		fmt.Fprintf(opt.Log, "[%d/%d] %s %s (%.1f MB)\n", i+1, len(wheels), w.Package, w.Version, float64(w.Size)/1e6)
		n, err := f.installWheel(ctx, w, staging, func(zr *zip.Reader) error {
			if i == 0 {
				return extractMember(zr, w, rel.PluginMember, filepath.Join(staging, "pjrt", CUDAPluginName))
			}
			return extractNVIDIA(zr, rel.Libraries[i-1], staging)
		})
		if err != nil {
			if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
				return res, fmt.Errorf("interrupted while installing %s; nothing was installed", w.File)
			}
			return res, err
		}
		res.Wheels++
		res.Bytes += n
	}
	if err := atomicfile.WriteBytes(filepath.Join(staging, stampName), []byte(stamp)); err != nil {
		return res, err
	}
	return res, place(staging, res.Dir)
}

func (opt CUDAOptions) release() (CUDARelease, error) {
	if opt.Release != nil {
		return *opt.Release, nil
	}
	if opt.Major == 0 {
		opt.Major = 13
	}
	return CUDAReleaseFor(opt.Major)
}

// cudaOffline is the advice for a machine that cannot download the wheels.
func cudaOffline(dir string, major int) string {
	return fmt.Sprintf("on a machine without network, run `latent setup --cuda %d --dir DIR` on one that has it "+
		"and copy DIR/cuda%d into %s", major, major, dir)
}

// checkFree fails when the file system of opt.Dir (or the nearest folder
// above it that exists) has less than need bytes free.
func checkFree(opt CUDAOptions, need int64) error {
	free := opt.FreeSpace
	if free == nil {
		free = statfsFree
	}
	dir := opt.Dir
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			break
		}
		dir = filepath.Dir(dir)
	}
	n, err := free(dir)
	if err != nil {
		return fmt.Errorf("checking free space in %s: %w", dir, err)
	}
	if int64(n) < need {
		return fmt.Errorf("%s has %.2f GB free, the CUDA install needs %.2f GB: free some space or choose another --dir; nothing was downloaded",
			dir, float64(n)/1e9, float64(need)/1e9)
	}
	return nil
}

// installWheel downloads pin into dir, checks it and hands it to extract,
// then deletes the wheel; it returns the bytes downloaded.
func (f fetcher) installWheel(ctx context.Context, pin Wheel, dir string, extract func(*zip.Reader) error) (int64, error) {
	w, err := f.find(ctx, pin)
	if err != nil {
		return 0, err
	}
	file, n, err := f.download(ctx, pin, w, dir)
	if err != nil {
		return n, err
	}
	defer removeTemp(file)
	info, err := file.Stat()
	if err != nil {
		return n, fmt.Errorf("reading the downloaded %s: %w", pin.File, err)
	}
	zr, err := zip.NewReader(file, info.Size())
	if err != nil {
		return n, fmt.Errorf("%s is not a readable wheel (zip): %w; %s", pin.File, err, f.advice)
	}
	if err := extract(zr); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return n, fmt.Errorf("the disk is full: %w; nothing was installed", err)
		}
		return n, err
	}
	return n, nil
}

// extractMember writes the wheel's member to dest, mode 0755.
func extractMember(zr *zip.Reader, pin Wheel, member, dest string) error {
	for _, zf := range zr.File {
		if zf.Name == member {
			return copyOut(zf, dest, 0o755)
		}
	}
	return fmt.Errorf("%s holds no %s: not the CUDA PJRT plugin wheel; nothing was installed", pin.File, member)
}

// extractNVIDIA copies the files under nvidia/ of an NVIDIA wheel into
// dir/nvidia, but not C headers and static libraries, and checks that
// those the plugin needs are there.
func extractNVIDIA(zr *zip.Reader, lib LibraryWheel, dir string) error {
	for _, zf := range zr.File {
		name := zf.Name
		if !strings.HasPrefix(name, "nvidia/") || strings.HasSuffix(name, "/") || strings.Contains(name, "/include/") ||
			strings.HasSuffix(name, ".a") || strings.Contains(name, "__pycache__") || path.Base(name) == "__init__.py" {
			continue
		}
		if clean := path.Clean(name); clean != name || strings.Contains(name, "..") {
			return fmt.Errorf("%s: unsafe file name %q in the wheel; nothing was installed", lib.File, name)
		}
		mode := os.FileMode(0o644)
		if zf.Mode()&0o111 != 0 || strings.Contains(path.Base(name), ".so") {
			mode = 0o755
		}
		if err := copyOut(zf, filepath.Join(dir, filepath.FromSlash(name)), mode); err != nil {
			return err
		}
	}
	for _, p := range lib.Provides {
		if !isFile(filepath.Join(dir, "nvidia", filepath.FromSlash(p))) {
			return fmt.Errorf("%s lacks nvidia/%s, which the CUDA plugin needs: not the expected NVIDIA wheel; nothing was installed", lib.File, p)
		}
	}
	return nil
}

// copyOut writes a zip member to dest with mode.
func copyOut(zf *zip.File, dest string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("opening %s: %w", zf.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return fmt.Errorf("extracting %s: %w", zf.Name, err)
	}
	return out.Close()
}

// place renames the finished folder staging to final, replacing an earlier
// install only once the new one is whole.
func place(staging, final string) error {
	old := ""
	if _, err := os.Stat(final); err == nil {
		old = staging + ".old"
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("moving the earlier install %s aside: %w", final, err)
		}
	}
	if err := os.Rename(staging, final); err != nil {
		if old != "" {
			os.Rename(old, final)
		}
		return fmt.Errorf("placing %s: %w", final, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// removeStale deletes the temporary folders of installs of name into dir
// that a killed process left (older than the install's timeout, so that an
// install running beside this one keeps its own).
func removeStale(dir, name string, timeout time.Duration) {
	stale, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*"))
	for _, path := range stale {
		if info, err := os.Stat(path); err == nil && time.Since(info.ModTime()) > timeout {
			os.RemoveAll(path)
		}
	}
}

// CUDAMajor is a CUDA major version as `latent setup --cuda` takes it, a
// flag's value: 13 or 12 (true: 13; false: none, 0).
type CUDAMajor int

// String is the version, or "" for none.
func (c *CUDAMajor) String() string {
	if c == nil || *c == 0 {
		return ""
	}
	return strconv.Itoa(int(*c))
}

// Set reads a version: 13 or 12, true for 13, false for none.
func (c *CUDAMajor) Set(s string) error {
	switch s {
	case "true", "13":
		*c = 13
	case "12":
		*c = 12
	case "false":
		*c = 0
	default:
		return fmt.Errorf("want 13 (driver >= 580) or 12 (driver >= 525), got %q", s)
	}
	return nil
}

// Type names no type in help: the flag's usage names the versions.
func (c *CUDAMajor) Type() string { return "" }
