package backend

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified

	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

func TestCacheDir(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, env, xdg, want string
	}{
		{"default", "", "/xdg", "/xdg/latent/xla"},
		{"off", "off", "/xdg", ""},
		{"off with spaces", " off ", "/xdg", ""},
		{"absolute folder", "/var/cache/x", "/xdg", "/var/cache/x"},
		{"relative folder", "cache/x", "/xdg", filepath.Join(wd, "cache/x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvCache, tc.env)
			t.Setenv("XDG_CACHE_HOME", tc.xdg)
			got, err := CacheDir()
			if err != nil || got != tc.want {
				t.Errorf("$%s=%q: CacheDir() = %q, %v; want %q", EnvCache, tc.env, got, err, tc.want)
			}
		})
	}
}

// openCached opens XLA CPU with its compile cache in dir ("off" for none).
// $GOXLA_EXECUTABLE_CACHE and $GOXLA_EXECUTABLE_CACHE_TRUST, which Open
// sets, are restored after the test.
func openCached(t *testing.T, dir string) *Backend {
	t.Helper()
	return openCachedWarn(t, dir, io.Discard)
}

// openCachedWarn is openCached with the warnings of Open written to warn.
func openCachedWarn(t *testing.T, dir string, warn io.Writer) *Backend {
	t.Helper()
	t.Setenv(EnvCache, dir)
	t.Setenv(pjrt.EnvExecutableCache, "")
	t.Setenv(pjrt.EnvExecutableCacheTrust, "")
	b, err := Open("xla:cpu", warn)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("XLA CPU plugin missing in CI: %v", err)
		}
		t.Skipf("XLA CPU plugin missing (run make setup): %v", err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// entries returns the cache entries in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(dir, "*"+pjrt.ExecutableCacheSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// onlyEntry returns the path and size of the one entry in dir, and stops
// the test when dir holds another number of entries.
func onlyEntry(t *testing.T, dir string) (string, int64) {
	t.Helper()
	found := entries(t, dir)
	if len(found) != 1 {
		t.Fatalf("the cache holds %v, want one entry", found)
	}
	info, err := os.Stat(found[0])
	if err != nil {
		t.Fatal(err)
	}
	return found[0], info.Size()
}

// TestCompileCache compiles a program, finds it stored, loads it back with
// the same results, recovers from a damaged entry, keys entries by
// $XLA_FLAGS, and stores nothing when the cache is off.
func TestCompileCache(t *testing.T) {
	dir := t.TempDir()
	b := openCached(t, dir)
	if b.CacheDir != dir || !strings.Contains(b.Summary(), "compile cache "+dir) {
		t.Fatalf("CacheDir %q, summary %q: want the cache in %s", b.CacheDir, b.Summary(), dir)
	}
	x := []float32{1, 2, 3.5}
	run := func(b *Backend) []float32 {
		t.Helper()
		out := MustNewExec(b, func(x *Node) *Node {
			return Add(Mul(x, Sin(x)), Const(x.Graph(), float32(0.125)))
		}).MustExec(x)
		return out[0].Value().([]float32)
	}
	step := func(what string, b *Backend, hits, misses, errs int64) []float32 {
		t.Helper()
		before := pjrt.CacheStats()
		got := run(b)
		after := pjrt.CacheStats()
		d := pjrt.ExecutableCacheStats{Hits: after.Hits - before.Hits, Misses: after.Misses - before.Misses, Errors: after.Errors - before.Errors}
		if d != (pjrt.ExecutableCacheStats{Hits: hits, Misses: misses, Errors: errs}) {
			t.Errorf("%s: cache hits, misses, errors %+v; want %d, %d, %d", what, d, hits, misses, errs)
		}
		return got
	}

	want := step("first compilation", b, 0, 1, 0)
	stored, storedSize := onlyEntry(t, dir)
	if n, size, err := CacheUsage(dir); n != 1 || size != storedSize || err != nil {
		t.Errorf("CacheUsage = %d programs, %d bytes, %v; want 1, %d", n, size, err, storedSize)
	}
	if n, size, err := CacheUsage(filepath.Join(dir, "not made")); n != 0 || size != 0 || err != nil {
		t.Errorf("CacheUsage of a missing folder = %d, %d, %v; want none", n, size, err)
	}
	if got := step("second compilation", b, 1, 0, 0); !slices.Equal(got, want) {
		t.Errorf("loaded from the cache: %v, compiled: %v", got, want)
	}

	if err := os.WriteFile(stored, []byte("not an executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []float32
	stderr := captureStderr(t, func() { got = step("damaged entry", b, 0, 1, 1) })
	if !slices.Equal(got, want) {
		t.Errorf("after a damaged entry: %v, want %v", got, want)
	}
	if w := warnings(stderr); len(w) != 1 || !strings.Contains(w[0], "warning: compile cache: "+stored+" is damaged") ||
		!strings.Contains(w[0], "removed it, compiling afresh") {
		t.Errorf("a damaged entry warned %q; want one line naming the entry, that it was removed and the program compiled afresh", stderr)
	}
	if info, err := os.Stat(stored); err != nil || info.Size() <= int64(len("not an executable")) {
		t.Errorf("the damaged entry was not written again: %v, %v", info, err)
	}

	// Another $XLA_FLAGS is another entry (XLA reads the variable once per
	// process, so this checks the key, not what XLA made of the flags).
	t.Setenv("XLA_FLAGS", os.Getenv("XLA_FLAGS")+" --xla_cpu_enable_fast_math=false")
	if got := step("other XLA_FLAGS", b, 0, 1, 0); !slices.Equal(got, want) {
		t.Errorf("with other XLA_FLAGS: %v, want %v", got, want)
	}
	if n := len(entries(t, dir)); n != 2 {
		t.Errorf("after compiling under other XLA_FLAGS the cache holds %d entries, want 2", n)
	}

	off := openCached(t, "off")
	if off.CacheDir != "" || !strings.Contains(off.Summary(), "compile cache off") {
		t.Errorf("LATENT_XLA_CACHE=off: CacheDir %q, summary %q", off.CacheDir, off.Summary())
	}
	if got := step("cache off", off, 0, 0, 0); !slices.Equal(got, want) {
		t.Errorf("with the cache off: %v, want %v", got, want)
	}
}

// trimProgram compiles and runs a program of c and returns its result. It is never inlined, so
// that its graph function has one name (GoMLX names the program after it)
// wherever it is called from.
//
//go:noinline
func trimProgram(b *Backend, c float32) []float32 {
	out := MustNewExec(b, func(x *Node) *Node { return MulScalar(Cos(x), float64(c)) }).MustExec([]float32{c})
	return out[0].Value().([]float32)
}

// TestCompileCacheTrims checks that storing an entry past the size limit
// removes the least recently used ones: of two entries, the older one,
// loaded again since, stays, and the one unused since it was stored goes,
// so that neither "the oldest stored goes" nor "the newest stays" passes.
func TestCompileCacheTrims(t *testing.T) {
	dir := t.TempDir()
	b := openCached(t, dir)
	t.Setenv(pjrt.EnvExecutableCacheMaxBytes, "")
	compile := func(c float32) { trimProgram(b, c) }
	age := func(path string, d time.Duration) {
		t.Helper()
		if err := os.Chtimes(path, time.Now().Add(-d), time.Now().Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	compile(3)
	used, usedSize := onlyEntry(t, dir)
	age(used, 2*time.Hour) // stored first
	compile(4)
	var unused string
	var unusedSize int64
	for _, e := range entries(t, dir) {
		if info, err := os.Stat(e); err == nil && e != used {
			unused, unusedSize = e, info.Size()
		}
	}
	if unused == "" {
		t.Fatalf("after a second program the cache holds %v, want two entries", entries(t, dir))
	}
	age(unused, time.Hour) // stored later, never loaded
	if d := cacheDelta(func() { compile(3) }); d.Hits != 1 || d.Misses != 0 {
		t.Fatalf("compiling the first program again: cache counts %+v, want one hit", d)
	}
	// Room for two entries of these sizes, not three.
	t.Setenv(pjrt.EnvExecutableCacheMaxBytes, strconv.FormatInt(usedSize+unusedSize+max(usedSize, unusedSize)/2, 10))
	compile(5)
	left := entries(t, dir)
	if len(left) != 2 || !slices.Contains(left, used) || slices.Contains(left, unused) {
		t.Errorf("after a third entry past the limit the cache holds %v; want the new one and %s (stored first, used since), not %s (stored later, never used)",
			left, used, unused)
	}
}
