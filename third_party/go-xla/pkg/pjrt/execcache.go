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
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/cpu"
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
const cacheFormat = "go-xla-executable-cache-v2"

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
		return nil, fmt.Errorf("PJRT_Executable_Serialize: %w", err)
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
		return nil, fmt.Errorf("PJRT_Executable_DeserializeAndLoad: %w", err)
	}
	return newLoadedExecutable(c.plugin, c, args.loaded_executable)
}

// compileCached returns the executable of program from the cache folder of
// $GOXLA_EXECUTABLE_CACHE when it holds a sound and trusted entry for it, and
// otherwise compiles it with compile and stores the result there. Any trouble
// with the cache is reported on stderr as a "warning:" line and counted,
// never returned: the program is then simply compiled.
//
// An entry is loaded only when its checksum matches (see readEntry) and,
// unless $GOXLA_EXECUTABLE_CACHE_TRUST is "shared", when it is owned by this
// process's user and neither its group nor others can write it, in a folder
// that passes CheckExecutableCacheDir. A damaged entry is removed and the
// program compiled again; an untrusted folder or entry turns the cache off
// for the rest of the process, with one warning.
func compileCached(plugin *Plugin, client *Client, program []byte, format string, options []byte,
	compile func() (*LoadedExecutable, error)) (*LoadedExecutable, error) {
	dir := os.Getenv(EnvExecutableCache)
	if dir == "" {
		return compile()
	}
	c := cacheFor(dir)
	if c.refused() {
		return compile()
	}
	key, err := cacheKey(plugin, client, program, format, options)
	if err != nil {
		cacheErrors.Add(1)
		cacheWarnf("%v", err)
		return compile()
	}
	path := filepath.Join(dir, key+ExecutableCacheSuffix)
	if exec := c.load(client, path, key); exec != nil {
		return exec, nil
	}
	if c.refused() { // an untrusted entry
		return compile()
	}
	exec, err := compile()
	if err != nil {
		return nil, err
	}
	cacheMisses.Add(1)
	if err := c.store(path, key, exec); err != nil {
		cacheErrors.Add(1)
		c.writeFailed(err)
	}
	return exec, nil
}

// load returns the executable in the entry at path, named for key, or nil
// when there is none or it is damaged (then removed, with a warning), does
// not load (removed, with a warning) or is not trusted (then the folder is
// refused).
func (c *cacheFolder) load(client *Client, path, key string) *LoadedExecutable {
	data, err := readEntry(path, key, c.shared)
	var untrusted untrustedError
	switch {
	case err == nil:
		exec, err := client.DeserializeAndLoad(data)
		if err == nil {
			cacheHits.Add(1)
			now := time.Now()
			_ = os.Chtimes(path, now, now) // recently used
			return exec
		}
		// The checksum matched, so the plugin wrote these bytes: most likely
		// another version of it under the same path.
		cacheErrors.Add(1)
		cacheWarnf("%s does not load (%v); removed it, compiling afresh", path, err)
		_ = os.Remove(path)
	case errors.As(err, &untrusted):
		cacheErrors.Add(1)
		c.refuse(err)
	case errors.Is(err, errDamaged):
		cacheErrors.Add(1)
		cacheWarnf("%v; removed it, compiling afresh", err)
		_ = os.Remove(path)
	case !errors.Is(err, fs.ErrNotExist):
		cacheErrors.Add(1)
		cacheWarnf("reading %s: %v; compiling afresh", path, err)
	}
	return nil
}

// EnvExecutableCacheTrust names the environment variable that, set to
// "shared", trusts the cache folder and every entry in it whoever owns them
// and whoever can write them: for a folder shared by a team (entries are then
// written readable by all). Checksums are checked all the same.
const EnvExecutableCacheTrust = "GOXLA_EXECUTABLE_CACHE_TRUST"

// cacheFolder is what this process knows of one cache folder: whether it
// refused it, and whether it said it could not write there.
type cacheFolder struct {
	dir     string
	shared  bool
	refusal atomic.Bool
	once    sync.Once // the one warning of a refusal
	noWrite sync.Once // the one warning of a failed write
}

// cacheFolders maps a folder to its *cacheFolder, so that each warning of
// a folder is given once per process.
var cacheFolders sync.Map

func cacheFor(dir string) *cacheFolder {
	shared := os.Getenv(EnvExecutableCacheTrust) == "shared"
	c, _ := cacheFolders.LoadOrStore(dir+"\x00"+strconv.FormatBool(shared), &cacheFolder{dir: dir, shared: shared})
	f := c.(*cacheFolder)
	if !f.refused() {
		if err := CheckExecutableCacheDir(dir, shared); err != nil {
			f.refuse(err)
		}
	}
	return f
}

func (c *cacheFolder) refused() bool { return c.refusal.Load() }

// refuse turns the cache off for the rest of the process, with one warning.
func (c *cacheFolder) refuse(reason error) {
	c.refusal.Store(true)
	c.once.Do(func() {
		cacheWarnf("%v; this process neither reads nor writes the cache %s", reason, c.dir)
	})
}

// writeFailed reports, once, that the folder cannot be written.
func (c *cacheFolder) writeFailed(err error) {
	c.noWrite.Do(func() { cacheWarnf("%v; compiled programs are not kept", err) })
}

// cacheWarnf writes one "warning:" line on stderr.
func cacheWarnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "warning: compile cache: "+format+"\n", args...)
}

// untrustedError says why an entry or a folder is not trusted.
type untrustedError struct{ msg string }

func (e untrustedError) Error() string { return e.msg }

// CheckExecutableCacheDir returns an error naming the reason when the cache
// folder dir exists but is not trusted: it is not a folder, another user
// than this process's (or root) owns it, or its group or others can write
// it. With shared, only that it is a folder is checked. A folder not made
// yet is trusted: the cache creates it with mode 0700.
func CheckExecutableCacheDir(dir string, shared bool) error {
	return CheckExecutableCacheDirAs(dir, shared, os.Geteuid())
}

// CheckExecutableCacheDirAs is CheckExecutableCacheDir for a process of
// the user uid.
func CheckExecutableCacheDirAs(dir string, shared bool, uid int) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return untrustedError{err.Error()}
	case !info.IsDir():
		return untrustedError{fmt.Sprintf("%s is not a folder", dir)}
	case shared:
		return nil
	}
	if owner, ok := ownerOf(info); ok && owner != uid && owner != 0 {
		return untrustedError{fmt.Sprintf("%s is owned by uid %d, not by this user (uid %d)", dir, owner, uid)}
	}
	if info.Mode().Perm()&0o022 != 0 {
		return untrustedError{fmt.Sprintf("%s can be written by its group or others (mode %v)", dir, info.Mode().Perm())}
	}
	return nil
}

// ownerOf returns the user id owning the file of info, where the system says.
func ownerOf(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// An entry is entryMagic, the length of the serialized executable (8 bytes,
// little-endian), the executable, and a SHA-256 of the entry's key (its
// file name), of the magic, of the length and of the executable: so a
// damaged entry, or one renamed to another program's key, never reaches
// the plugin.
var entryMagic = []byte("GOXLAEX2")

const entryHeader, entryTrailer = 8 + 8, sha256.Size

// errDamaged is wrapped by readEntry's error for an entry whose bytes are
// not what storeExecutable wrote.
var errDamaged = errors.New("damaged")

// entrySum is an entry's checksum.
func entrySum(key string, header, payload []byte) []byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write(header)
	h.Write(payload)
	return h.Sum(nil)
}

// encodeEntry returns the entry holding payload under key.
func encodeEntry(key string, payload []byte) []byte {
	entry := make([]byte, entryHeader, entryHeader+len(payload)+entryTrailer)
	copy(entry, entryMagic)
	binary.LittleEndian.PutUint64(entry[len(entryMagic):], uint64(len(payload)))
	entry = append(entry, payload...)
	return append(entry, entrySum(key, entry[:entryHeader], payload)...)
}

// readEntry returns the serialized executable in the entry at path, named
// for key. It returns an untrustedError when the entry is not owned by this
// process's user or its group or others can write it (unless shared), and
// an error wrapping errDamaged when its bytes do not check.
func readEntry(path, key string, shared bool) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, untrustedError{fmt.Sprintf("%s is a symbolic link", path)}
		}
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, untrustedError{fmt.Sprintf("%s is not a regular file", path)}
	}
	if !shared {
		if uid, ok := ownerOf(info); ok && uid != os.Geteuid() {
			return nil, untrustedError{fmt.Sprintf("%s is owned by uid %d, not by this user (uid %d)", path, uid, os.Geteuid())}
		}
		if info.Mode().Perm()&0o022 != 0 {
			return nil, untrustedError{fmt.Sprintf("%s can be written by its group or others (mode %v)", path, info.Mode().Perm())}
		}
	}
	entry, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return decodeEntry(path, key, entry)
}

// decodeEntry checks an entry's bytes and returns its executable.
func decodeEntry(path, key string, entry []byte) ([]byte, error) {
	damaged := func(why string) error { return fmt.Errorf("%s is %w: %s", path, errDamaged, why) }
	if len(entry) < entryHeader+entryTrailer {
		return nil, damaged(fmt.Sprintf("%d bytes, too short", len(entry)))
	}
	if !bytes.Equal(entry[:len(entryMagic)], entryMagic) {
		return nil, damaged("not an entry of this cache")
	}
	n := binary.LittleEndian.Uint64(entry[len(entryMagic):entryHeader])
	if n != uint64(len(entry)-entryHeader-entryTrailer) {
		return nil, damaged(fmt.Sprintf("%d bytes, its header says %d", len(entry), n+entryHeader+entryTrailer))
	}
	payload := entry[entryHeader : len(entry)-entryTrailer]
	if !bytes.Equal(entrySum(key, entry[:entryHeader], payload), entry[len(entry)-entryTrailer:]) {
		return nil, damaged("checksum mismatch")
	}
	return payload, nil
}

// store writes exec's serialization to path, the entry of key, through a
// temporary file and a rename, so a reader never sees half an entry, then
// trims the folder. The folder is created with mode 0700.
func (c *cacheFolder) store(path, key string, exec *LoadedExecutable) error {
	data, err := exec.Serialize()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", c.dir, err)
	}
	if err := CheckExecutableCacheDir(c.dir, c.shared); err != nil {
		c.refuse(err) // made by someone else meanwhile
		return nil
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing to %s: %w", c.dir, err)
	}
	_, err = tmp.Write(encodeEntry(key, data))
	if err == nil && c.shared {
		err = tmp.Chmod(0o644) // readable by the others who share the folder
	}
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
	trimCache(c.dir, cacheMaxBytes())
	return nil
}

// ExecutableCacheMaxBytes returns the cache's size limit in bytes:
// $GOXLA_EXECUTABLE_CACHE_MAX_BYTES when it is a positive number, else the
// default of 512 MiB (with a warning when it is set to something else).
func ExecutableCacheMaxBytes() int64 { return cacheMaxBytes() }

func cacheMaxBytes() int64 {
	var n int64
	if s := os.Getenv(EnvExecutableCacheMaxBytes); s != "" {
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			return n
		}
		cacheWarnf("$%s=%q is not a positive number of bytes; using %d",
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

// cacheKey names a program's entry: ExecutableCacheKeyParts' Key for the
// plugin (its path, size, modification time, platform and version), the
// client's device count, the machine's CPU (code compiled for AVX-512 must
// not run on a CPU without it), $XLA_FLAGS, the program and its compile
// options.
func cacheKey(plugin *Plugin, client *Client, program []byte, format string, options []byte) (string, error) {
	info, err := os.Stat(plugin.Path())
	if err != nil {
		return "", fmt.Errorf("reading the plugin %q: %w", plugin.Path(), err)
	}
	var cpu string
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		cpu = CPUIdentity(f)
		f.Close()
	}
	return ExecutableCacheKeyParts{
		PluginPath: plugin.Path(), PluginSize: info.Size(), PluginModTime: info.ModTime(),
		Platform: client.platform, PlatformVersion: client.platformVersion, Devices: len(client.addressableDevices),
		Machine:  runtime.GOOS + "/" + runtime.GOARCH + " " + cpu + "\n" + CPUFeatures(),
		XLAFlags: os.Getenv("XLA_FLAGS"), ProgramFormat: format, Program: program, Options: options,
	}.Key(), nil
}

// ExecutableCacheKeyParts is everything the key of an executable cache
// entry covers: a change of any of them is another entry.
type ExecutableCacheKeyParts struct {
	// PluginPath, PluginSize and PluginModTime identify the plugin file.
	PluginPath    string
	PluginSize    int64
	PluginModTime time.Time
	// Platform and PlatformVersion are the client's, e.g. "cpu" and its version.
	Platform, PlatformVersion string
	// Devices is the client's count of addressable devices.
	Devices int
	// Machine is GOOS/GOARCH, the CPU's CPUIdentity and its CPUFeatures.
	Machine string
	// XLAFlags is $XLA_FLAGS.
	XLAFlags string
	// ProgramFormat, Program and Options are the program and its compile options.
	ProgramFormat    string
	Program, Options []byte
}

// Key returns the entry's key: the hex SHA-256 of every part, each with its
// name and length (an entry's file name is the key and ExecutableCacheSuffix).
func (p ExecutableCacheKeyParts) Key() string {
	h := sha256.New()
	field := func(name string, value []byte) {
		fmt.Fprintf(h, "%s %d\n", name, len(value))
		h.Write(value)
	}
	field("format", []byte(cacheFormat))
	field("plugin", []byte(fmt.Sprintf("%s %d %d %s %s %d devices", p.PluginPath, p.PluginSize, p.PluginModTime.UnixNano(),
		p.Platform, p.PlatformVersion, p.Devices)))
	field("machine", []byte(p.Machine))
	field("xla_flags", []byte(p.XLAFlags))
	field("program_format", []byte(p.ProgramFormat))
	field("program", p.Program)
	field("options", p.Options)
	return hex.EncodeToString(h.Sum(nil))
}

// CPUFeatures returns the instruction-set features this process sees
// through CPUID (x86) or the kernel's hwcaps (Arm), which XLA's own code
// selection reads: under an emulator (qemu-user's EPYC-Rome, say) they are
// the emulated CPU's while /proc/cpuinfo still tells the host's, and code
// compiled for AVX-512 must not be loaded there.
func CPUFeatures() string {
	return fmt.Sprintf("x86 %+v arm64 %+v", cpu.X86, cpu.ARM64)
}

// CPUIdentity returns the first processor's model and feature flags from
// cpuinfo, the text of Linux's /proc/cpuinfo: its vendor, family, model and
// flags lines (x86) or Features and CPU implementer and part (Arm), not its
// clock speed nor the other processors. Elsewhere there is no cpuinfo and
// the plugin path and the program still key the entry.
func CPUIdentity(cpuinfo io.Reader) string {
	var id []string
	sc := bufio.NewScanner(cpuinfo)
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
