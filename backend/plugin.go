package backend

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/latent-vae/latent/backend/nvidia"
	"github.com/latent-vae/latent/internal/pluginpath"
)

// minPluginSize is far below any real PJRT plugin (the XLA CPU one is
// about 250 MB) and above any truncated stub.
const minPluginSize = 4 << 10

// pjrtEntry is the function every PJRT plugin exports.
const pjrtEntry = "GetPjrtApi"

// CheckPlugin checks, without loading it, that path looks like a PJRT plugin
// this process can load: a regular file of plausible size, an ELF shared
// library for this machine whose loadable segments all lie within the file
// (a truncated copy fails here) and that exports GetPjrtApi. Loading a file
// that fails these checks could crash the process (SIGBUS, SIGSEGV) instead
// of returning an error. A file damaged in place without changing its size
// or layout is not detected.
func CheckPlugin(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("PJRT plugin: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("PJRT plugin %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if fi.Size() < minPluginSize {
		return fmt.Errorf("PJRT plugin %s is only %d bytes: truncated, or not a plugin", path, fi.Size())
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil // plugins are Mach-O or PE files there
	}
	if err := checkELF(path, fi.Size()); err != nil {
		return fmt.Errorf("PJRT plugin %s: %w", path, err)
	}
	return nil
}

// elfMachine is the ELF machine of libraries for this GOARCH; false when
// latent does not know it.
func elfMachine() (elf.Machine, bool) {
	switch runtime.GOARCH {
	case "amd64":
		return elf.EM_X86_64, true
	case "arm64":
		return elf.EM_AARCH64, true
	}
	return 0, false
}

// checkELF checks the ELF structure of a file of the given size.
func checkELF(path string, size int64) (err error) {
	defer func() { // debug/elf should not panic on bad input; if it does, that is a bad file too
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed ELF file: %v", r)
		}
	}()
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not a readable ELF shared library (truncated or corrupt?): %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Type != elf.ET_DYN {
		return fmt.Errorf("not a 64-bit ELF shared library (%s, %s)", f.Class, f.Type)
	}
	if want, ok := elfMachine(); ok && f.Machine != want {
		return fmt.Errorf("built for %s, this machine is %s", f.Machine, runtime.GOARCH)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && (p.Off > uint64(size) || p.Filesz > uint64(size)-p.Off) {
			return fmt.Errorf("truncated: a segment ends at byte %d of a %d-byte file", p.Off+p.Filesz, size)
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return fmt.Errorf("reading its exported symbols: %w", err)
	}
	for _, s := range syms {
		if s.Name == pjrtEntry && s.Section != elf.SHN_UNDEF && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			return nil
		}
	}
	return fmt.Errorf("does not export %s: not a PJRT plugin", pjrtEntry)
}

// pluginDirs are the folders searched for a plugin by name, as go-xla
// searches them: $PJRT_PLUGIN_LIBRARY_PATH when set, else the user's and the
// system's go-xla folders and $LD_LIBRARY_PATH (go-xla also reads
// /etc/ld.so.conf; latent does not).
func pluginDirs() []string {
	if env, ok := os.LookupEnv(PluginPathEnvVar); ok {
		return strings.FieldsFunc(env, func(r rune) bool { return r == ':' })
	}
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		local := filepath.Join(home, ".local", "lib")
		dirs = append(dirs, filepath.Join(local, "go-xla"))
		dirs = append(dirs, cudaDirs(filepath.Join(local, "go-xla"))...)
		dirs = append(dirs, filepath.Join(local, "go-xla", "nvidia"), filepath.Join(local, "gomlx", "pjrt"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla")
	dirs = append(dirs, cudaDirs("/usr/local/lib/go-xla")...)
	dirs = append(dirs, "/usr/local/lib/go-xla/nvidia", "/usr/local/lib/gomlx/pjrt")
	for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		if filepath.IsAbs(d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// findPlugin returns the first file named like the PJRT plugin name in
// pluginDirs, without loading or checking it.
func findPlugin(name string) (string, bool) {
	ext := ".so"
	switch runtime.GOOS {
	case "darwin":
		ext = ".dylib"
	case "windows":
		ext = ".dll"
	}
	for _, dir := range pluginDirs() {
		for _, file := range []string{"pjrt-plugin-" + name, "pjrt_plugin_" + name, "pjrt_c_api_" + name + "_plugin"} {
			path := filepath.Join(dir, file+ext)
			if _, err := os.Stat(path); err == nil {
				return path, true
			}
		}
	}
	return "", false
}

// cudaDirs are the folders where `latent setup --cuda` puts the CUDA
// plugins in the go-xla folder dir, newest CUDA first.
func cudaDirs(dir string) []string {
	var dirs []string
	for _, r := range nvidia.Releases {
		dirs = append(dirs, filepath.Dir(pluginpath.CUDAPluginPath(dir, r.Major)))
	}
	return dirs
}
