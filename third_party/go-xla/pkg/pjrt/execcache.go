package pjrt

// This file is latent's addition to go-xla v0.1.4 (see PATCH.md at the
// module's root): a cache of compiled executables on disk, so a
// program compiled once on a machine loads in milliseconds the next time.

/*
#include <stdlib.h>
#include "pjrt_c_api.h"
#include "gen_api_calls.h"
#include "gen_new_struct.h"

static void deleteSerializedExecutable(PJRT_Executable_Serialize_Args* args) {
	if (args->serialized_executable_deleter && args->serialized_executable) {
		args->serialized_executable_deleter(args->serialized_executable);
	}
}
*/
import "C"

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pkg/errors"
	"k8s.io/klog/v2"
)

// EnvExecutableCache names the environment variable that turns the
// executable cache on: the folder to keep compiled executables in. Empty
// or unset leaves it off, and every program is compiled as go-xla always did.
const EnvExecutableCache = "GOXLA_EXECUTABLE_CACHE"

// EnvExecutableCacheMaxBytes names the environment variable with the cache's
// size limit in bytes (default 512 MiB): after writing an entry, the least
// recently used entries are removed until the folder fits.
const EnvExecutableCacheMaxBytes = "GOXLA_EXECUTABLE_CACHE_MAX_BYTES"

const defaultCacheMaxBytes = 512 << 20

// ExecutableCacheSuffix ends the name of every entry of the executable cache.
const ExecutableCacheSuffix = ".pjrtexe"

// cacheFormat is part of every key: a change of this file's format changes it.
const cacheFormat = "go-xla-executable-cache-v1"

// ExecutableCacheStats counts, for this process, the compilations the
// executable cache answered (Hits), those it did not (Misses: compiled and
// stored), and entries that could not be read back or written (Errors; the
// program was then compiled as usual).
type ExecutableCacheStats struct {
	Hits, Misses, Errors int64
}

var cacheHits, cacheMisses, cacheErrors atomic.Int64

// CacheStats returns the executable cache's counts for this process.
func CacheStats() ExecutableCacheStats {
	return ExecutableCacheStats{Hits: cacheHits.Load(), Misses: cacheMisses.Load(), Errors: cacheErrors.Load()}
}

// Serialize returns the plugin's serialization of the compiled executable,
// which Client.DeserializeAndLoad reads back with the same plugin on the same
// machine.
func (e *LoadedExecutable) Serialize() ([]byte, error) {
	if e == nil || e.executable == nil || !e.executable.wrapper.IsValid() {
		return nil, errors.New("Serialize: the executable is not valid (destroyed?)")
	}
	defer runtime.KeepAlive(e)
	args := C.new_PJRT_Executable_Serialize_Args()
	defer cFree(args)
	args.executable = e.executable.wrapper.c
	if err := toError(e.plugin, C.call_PJRT_Executable_Serialize(e.plugin.api, args)); err != nil {
		return nil, errors.WithMessage(err, "PJRT_Executable_Serialize")
	}
	defer C.deleteSerializedExecutable(args)
	if args.serialized_bytes == nil || args.serialized_bytes_size == 0 {
		return nil, errors.New("PJRT_Executable_Serialize returned no bytes")
	}
	return C.GoBytes(unsafe.Pointer(args.serialized_bytes), C.int(args.serialized_bytes_size)), nil
}

// DeserializeAndLoad loads an executable serialized by
// LoadedExecutable.Serialize, with the compile options it was compiled with.
func (c *Client) DeserializeAndLoad(serialized []byte) (*LoadedExecutable, error) {
	if len(serialized) == 0 {
		return nil, errors.New("DeserializeAndLoad: no bytes")
	}
	args := C.new_PJRT_Executable_DeserializeAndLoad_Args()
	defer cFree(args)
	args.client = c.client.c
	data := C.CBytes(serialized)
	defer C.free(data)
	args.serialized_executable = (*C.char)(data)
	args.serialized_executable_size = C.size_t(len(serialized))
	if err := toError(c.plugin, C.call_PJRT_Executable_DeserializeAndLoad(c.plugin.api, args)); err != nil {
		return nil, errors.WithMessage(err, "PJRT_Executable_DeserializeAndLoad")
	}
	return newLoadedExecutable(c.plugin, c, args.loaded_executable)
}

// compileCached returns the executable of program from the cache folder of
// $GOXLA_EXECUTABLE_CACHE when it holds one, and otherwise compiles it with
// compile and stores the result there. Any trouble with the cache is logged
// and counted, never returned: the program is then simply compiled.
func compileCached(plugin *Plugin, client *Client, program []byte, format string, options []byte,
	compile func() (*LoadedExecutable, error)) (*LoadedExecutable, error) {
	dir := os.Getenv(EnvExecutableCache)
	if dir == "" {
		return compile()
	}
	key, err := cacheKey(plugin, client, program, format, options)
	if err != nil {
		cacheErrors.Add(1)
		klog.Warningf("executable cache: %v", err)
		return compile()
	}
	path := filepath.Join(dir, key+ExecutableCacheSuffix)
	if data, err := os.ReadFile(path); err == nil {
		exec, err := client.DeserializeAndLoad(data)
		if err == nil {
			cacheHits.Add(1)
			now := time.Now()
			_ = os.Chtimes(path, now, now) // recently used
			return exec, nil
		}
		cacheErrors.Add(1)
		klog.Warningf("executable cache: loading %s: %v; compiling instead", path, err)
		_ = os.Remove(path)
	}
	exec, err := compile()
	if err != nil {
		return nil, err
	}
	cacheMisses.Add(1)
	if err := storeExecutable(dir, path, exec); err != nil {
		cacheErrors.Add(1)
		klog.Warningf("executable cache: %v", err)
	}
	return exec, nil
}

// storeExecutable writes exec's serialization to path through a temporary
// file and a rename, so a reader never sees half an entry, then trims dir.
func storeExecutable(dir, path string, exec *LoadedExecutable) error {
	data, err := exec.Serialize()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing to %s: %w", dir, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	trimCache(dir, cacheMaxBytes())
	return nil
}

func cacheMaxBytes() int64 {
	var n int64
	if s := os.Getenv(EnvExecutableCacheMaxBytes); s != "" {
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			return n
		}
		klog.Warningf("executable cache: $%s=%q is not a positive number of bytes; using %d",
			EnvExecutableCacheMaxBytes, s, defaultCacheMaxBytes)
	}
	return defaultCacheMaxBytes
}

// ExecutableCacheEntry is one compiled program in a cache folder.
type ExecutableCacheEntry struct {
	Path string
	Size int64
	Used time.Time // when it was last stored or loaded
}

// ExecutableCacheEntries lists the entries of the cache folder dir, least
// recently used first; a folder not made yet has none.
func ExecutableCacheEntries(dir string) ([]ExecutableCacheEntry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var all []ExecutableCacheEntry
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ExecutableCacheSuffix) {
			continue
		}
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		all = append(all, ExecutableCacheEntry{filepath.Join(dir, de.Name()), info.Size(), info.ModTime()})
	}
	slices.SortFunc(all, func(a, b ExecutableCacheEntry) int { return a.Used.Compare(b.Used) })
	return all, nil
}

// trimCache removes the least recently used entries of dir until the rest
// take at most maxBytes.
func trimCache(dir string, maxBytes int64) {
	all, err := ExecutableCacheEntries(dir)
	if err != nil {
		return
	}
	var total int64
	for _, e := range all {
		total += e.Size
	}
	for _, e := range all {
		if total <= maxBytes {
			break
		}
		if err := os.Remove(e.Path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= e.Size
		}
	}
}

// cacheKey names a program's entry: a hash of everything the compiled code
// depends on: the plugin (its path, size, modification time, platform and
// version), the client's device count, the machine's CPU (code compiled for
// AVX-512 must not run on a CPU without it), $XLA_FLAGS, the program and
// its compile options.
func cacheKey(plugin *Plugin, client *Client, program []byte, format string, options []byte) (string, error) {
	info, err := os.Stat(plugin.Path())
	if err != nil {
		return "", fmt.Errorf("reading the plugin %q: %w", plugin.Path(), err)
	}
	h := sha256.New()
	field := func(name string, value []byte) {
		fmt.Fprintf(h, "%s %d\n", name, len(value))
		h.Write(value)
	}
	field("format", []byte(cacheFormat))
	field("plugin", []byte(fmt.Sprintf("%s %d %d %s %s %d devices", plugin.Path(), info.Size(), info.ModTime().UnixNano(),
		client.platform, client.platformVersion, len(client.addressableDevices))))
	field("machine", []byte(runtime.GOOS+"/"+runtime.GOARCH+" "+cpuIdentity()))
	field("xla_flags", []byte(os.Getenv("XLA_FLAGS")))
	field("program_format", []byte(format))
	field("program", program)
	field("options", options)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cpuIdentity returns the first processor's model and feature flags from
// /proc/cpuinfo on Linux; elsewhere, nothing (the plugin path and the
// program still key the entry).
func cpuIdentity() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	var id []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			break // the end of the first processor
		}
		for _, k := range []string{"vendor_id", "cpu family", "model", "model name", "flags", "Features", "CPU implementer", "CPU part"} {
			if name, _, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == k {
				id = append(id, line)
			}
		}
	}
	return strings.Join(id, "\n")
}
