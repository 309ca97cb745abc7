package backend

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified

	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

// envChild makes the test binary a child process that compiles and runs
// childProgram with the compile cache of $LATENT_XLA_CACHE and prints its
// result; its value is the file size limit in bytes (0: none).
const envChild = "LATENT_CACHE_TEST_CHILD"

// TestMain runs the child of the tests that need a process of their own.
func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(envChild); ok {
		os.Exit(cacheChild(v))
	}
	if _, ok := os.LookupEnv(envArenas); ok {
		os.Exit(arenasChild())
	}
	os.Exit(m.Run())
}

// envBarrier names a folder where a child, once its backend is open,
// writes a file ready-PID and waits for a file go before compiling, so that
// two children compile at the same moment.
const envBarrier = "LATENT_CACHE_TEST_BARRIER"

// awaitBarrier waits at the barrier of envBarrier, if any.
func awaitBarrier() error {
	dir := os.Getenv(envBarrier)
	if dir == "" {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("ready-%d", os.Getpid())), nil, 0o600); err != nil {
		return err
	}
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			return nil
		}
	}
	return errors.New("no go at the barrier within a minute")
}

// cacheChild compiles and runs childProgram (wideProgram when envWide is
// set), printing its result on stdout, after lowering the file size limit
// to limit bytes when it is not "0" (a full disk: writes past it fail with
// EFBIG; Go ignores SIGXFSZ).
func cacheChild(limit string) int {
	var n uint64
	if _, err := fmt.Sscan(limit, &n); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if n > 0 {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	}
	config := "xla:cpu"
	if plugin := os.Getenv(envChildPlugin); plugin != "" {
		config = "xla:" + plugin
	}
	b, err := Open(config, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer b.Finalize()
	if err := awaitBarrier(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if os.Getenv(envWide) != "" {
		fmt.Println(wideProgram(b))
		return 0
	}
	fmt.Println(childProgram(b))
	return 0
}

// childProgram compiles and runs a small program.
func childProgram(b *Backend) []float32 {
	out := MustNewExec(b, func(x *Node) *Node {
		return Add(Mul(x, Cos(x)), Const(x.Graph(), float32(0.25)))
	}).MustExec([]float32{1, 2, 3.5})
	return out[0].Value().([]float32)
}

// child runs childProgram in a new process with the compile cache in dir.
func child(dir string, fileLimit int64, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", envChild, fileLimit), EnvCache+"="+dir, pjrt.EnvExecutableCache+"=")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runChild runs child and returns its stdout and stderr, failing the test
// when it does not exit 0.
func runChild(t *testing.T, dir string, fileLimit int64, env ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := child(dir, fileLimit, env...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("child compiling with the cache in %s: %v\n%s", dir, err, errb.String())
	}
	return out.String(), errb.String()
}

// warnings returns the lines of stderr that are warnings.
func warnings(stderr string) []string {
	var w []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "warning:") {
			w = append(w, line)
		}
	}
	return w
}

// captureStderr returns what f writes on os.Stderr (go-xla's cache writes
// its warnings there).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = tmp
	defer func() { os.Stderr = saved }()
	f()
	got, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

// cacheDelta returns the change of the cache's counts while f runs.
func cacheDelta(f func()) pjrt.ExecutableCacheStats {
	before := pjrt.CacheStats()
	f()
	after := pjrt.CacheStats()
	return pjrt.ExecutableCacheStats{Hits: after.Hits - before.Hits, Misses: after.Misses - before.Misses, Errors: after.Errors - before.Errors}
}

// TestCompileCacheFolderMode checks that a cache folder latent makes is
// readable and writable by its user only.
func TestCompileCacheFolderMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "made", "xla")
	b := openCached(t, dir)
	childProgram(b)
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o700 {
		t.Errorf("the cache folder was made with mode %v, want 0700", info.Mode().Perm())
	}
	onlyEntry(t, dir)
}

// TestCompileCacheRefusesWritableFolders checks that a cache folder its
// group or others can write is neither read nor written, with one warning
// naming the reason, unless $LATENT_XLA_CACHE_TRUST=shared; and that
// another value of that variable is an error.
func TestCompileCacheRefusesWritableFolders(t *testing.T) {
	for _, mode := range []os.FileMode{0o770, 0o707, 0o777, os.ModeSticky | 0o777} {
		t.Run(fmt.Sprintf("mode %v", mode), func(t *testing.T) {
			dir := t.TempDir()
			want := childProgram(openCached(t, dir)) // a trusted entry
			entry, _ := onlyEntry(t, dir)
			before, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}

			var warn bytes.Buffer
			b := openCachedWarn(t, dir, &warn)
			if b.CacheDir != "" {
				t.Errorf("CacheDir %q: want the cache off", b.CacheDir)
			}
			w := warnings(warn.String())
			if len(w) != 1 || !strings.Contains(w[0], dir+" can be written by its group or others") ||
				!strings.Contains(w[0], EnvCacheTrust+"=shared") {
				t.Errorf("opening with the cache folder of mode %v warned %q; want one warning naming the folder, the reason and $%s", mode, warn.String(), EnvCacheTrust)
			}
			var got []float32
			d := cacheDelta(func() {
				if out := captureStderr(t, func() { got = childProgram(b) }); out != "" {
					t.Errorf("compiling warned again: %q", out)
				}
			})
			if d != (pjrt.ExecutableCacheStats{}) || !slices.Equal(got, want) {
				t.Errorf("with an untrusted folder: cache counts %+v (want none), result %v (want %v)", d, got, want)
			}
			after, err := os.ReadFile(entry)
			if n := len(entries(t, dir)); n != 1 || err != nil || !bytes.Equal(after, before) {
				t.Errorf("the untrusted folder was written: %d entries (want 1), entry changed %v, %v", n, !bytes.Equal(after, before), err)
			}

			t.Setenv(EnvCacheTrust, "shared")
			warn.Reset()
			shared := openCachedWarn(t, dir, &warn)
			d = cacheDelta(func() { got = childProgram(shared) })
			if warn.Len() != 0 || d.Hits != 1 || !slices.Equal(got, want) {
				t.Errorf("$%s=shared: warned %q, cache counts %+v, result %v; want the entry loaded, %v", EnvCacheTrust, warn.String(), d, got, want)
			}
			MustNewExec(shared, func(x *Node) *Node { return Sqrt(x) }).MustExec([]float32{4})
			for _, e := range entries(t, dir) {
				if info, err := os.Stat(e); e != entry && (err != nil || info.Mode().Perm() != 0o644) {
					t.Errorf("$%s=shared: a new entry has mode %v (%v), want 0644 (readable by all who share it)", EnvCacheTrust, info.Mode().Perm(), err)
				}
			}
			if n := len(entries(t, dir)); n != 2 {
				t.Errorf("$%s=shared: %d entries after compiling another program, want 2", EnvCacheTrust, n)
			}
		})
	}
	t.Run("bad trust value", func(t *testing.T) {
		t.Setenv(EnvCache, t.TempDir())
		t.Setenv(EnvCacheTrust, "yes")
		if b, err := Open("xla:cpu", io.Discard); err == nil {
			b.Finalize()
			t.Errorf("$%s=yes: Open succeeded, want an error", EnvCacheTrust)
		} else if !strings.Contains(err.Error(), EnvCacheTrust) {
			t.Errorf("$%s=yes: error %q does not name the variable", EnvCacheTrust, err)
		}
	})
}

// TestCompileCacheRefusesUntrustedEntries checks that an entry owned by
// another user, one its group or others can write, or a symbolic link is
// not loaded: one warning naming the reason, the program compiled, and the
// cache neither read nor written for the rest of the process. So is a
// folder owned by another user. Changing an owner needs root.
func TestCompileCacheRefusesUntrustedEntries(t *testing.T) {
	const nobody = 65534
	needRoot := func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skipf("skipped: giving a file to another user needs root (chown), and this test runs as uid %d", os.Geteuid())
		}
	}
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir, entry string) // makes entry, in dir, untrusted
		want  string                                // in the warning, after the entry's path
	}{
		{"owned by another user", func(t *testing.T, dir, entry string) {
			needRoot(t)
			if err := os.Chown(entry, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}, fmt.Sprintf(" is owned by uid %d, not by this user (uid %d)", nobody, os.Geteuid())},
		{"group-writable", func(t *testing.T, dir, entry string) {
			if err := os.Chmod(entry, 0o620); err != nil {
				t.Fatal(err)
			}
		}, " can be written by its group or others"},
		{"symbolic link", func(t *testing.T, dir, entry string) {
			real := filepath.Join(t.TempDir(), "real")
			if err := os.Rename(entry, real); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, entry); err != nil {
				t.Fatal(err)
			}
		}, " is a symbolic link"},
		{"folder owned by another user", func(t *testing.T, dir, entry string) {
			needRoot(t)
			if err := os.Chown(dir, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := childProgram(openCached(t, dir))
			entry, _ := onlyEntry(t, dir)
			tc.spoil(t, dir, entry)
			var warn bytes.Buffer
			b := openCachedWarn(t, dir, &warn)
			var got []float32
			var d pjrt.ExecutableCacheStats
			stderr := captureStderr(t, func() {
				d = cacheDelta(func() {
					got = childProgram(b)
					MustNewExec(b, func(x *Node) *Node { return Sqrt(x) }).MustExec([]float32{4}) // another program
				})
			})
			reason := entry + tc.want
			if tc.want == "" {
				reason = fmt.Sprintf("%s is owned by uid %d, not by this user (uid %d)", dir, nobody, os.Geteuid())
			}
			w := warnings(warn.String() + stderr)
			if len(w) != 1 || !strings.Contains(w[0], reason) || !strings.Contains(w[0], "neither reads nor writes") {
				t.Errorf("warnings %q; want one saying %q and that the cache is not used", w, reason)
			}
			if d.Hits != 0 || d.Misses != 0 || !slices.Equal(got, want) {
				t.Errorf("cache counts %+v (want no hit, nothing stored), result %v (want %v)", d, got, want)
			}
			if n := len(entries(t, dir)); n != 1 {
				t.Errorf("after refusing an entry the cache holds %d entries, want the refused one only", n)
			}
		})
	}
}

// TestCompileCacheUnwritable checks that a cache that cannot be written
// costs a compilation, never a failure: a read-only folder, a cache path
// under a file, and a full disk (a file size limit), each with one warning.
func TestCompileCacheUnwritable(t *testing.T) {
	want, _ := runChild(t, filepath.Join(t.TempDir(), "reference"), 0)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string // returns the cache folder
		limit int64
		why   []string
	}{
		{"read-only folder", func(t *testing.T) string {
			if os.Geteuid() == 0 {
				t.Skip("skipped: root writes into a read-only folder (the full-disk case covers a failed write)")
			}
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			return dir
		}, 0, []string{"permission denied", "compiled programs are not kept"}},
		{"path under a file", func(t *testing.T) string {
			file := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(file, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(file, "xla")
		}, 0, []string{"not a directory", "neither reads nor writes"}},
		{"full disk", func(t *testing.T) string { return t.TempDir() }, 1024, []string{"file too large", "compiled programs are not kept"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			got, stderr := runChild(t, dir, tc.limit)
			w := warnings(stderr)
			if got != want || len(w) != 1 || !containsAll(w[0], tc.why) {
				t.Errorf("compiling with an unwritable cache: result %q (want %q), warnings %q; want one saying %q", got, want, stderr, tc.why)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
				t.Errorf("the unwritable cache holds %v", left)
			}
		})
	}
}

// TestCompileCacheConcurrentCompilers runs processes (two and more, four
// to widen the race) that compile the same program into an empty cache at
// once: all succeed, with the same result, and one entry remains, with no
// temporary file.
func TestCompileCacheConcurrentCompilers(t *testing.T) {
	dir, barrier := t.TempDir(), t.TempDir()
	var wg sync.WaitGroup
	outs := make([]string, 4)
	errs := make([]string, 4)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out, errb bytes.Buffer
			cmd := child(dir, 0, envBarrier+"="+barrier)
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Sprintf("%v: %s", err, errb.String())
			}
			outs[i] = out.String()
			if w := warnings(errb.String()); len(w) > 0 {
				errs[i] += fmt.Sprintf("warnings %q", w)
			}
		}()
	}
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(time.Millisecond) {
		if ready, _ := filepath.Glob(filepath.Join(barrier, "ready-*")); len(ready) == len(outs) {
			break
		}
	}
	if err := os.WriteFile(filepath.Join(barrier, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != "" || outs[i] != outs[0] || outs[0] == "" {
			t.Errorf("%d compilers at once: results %q, errors %q; want all to succeed alike, without warnings", len(outs), outs, errs)
			break
		}
	}
	all, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(all) != 1 || len(hidden) != 0 || !strings.HasSuffix(all[0], pjrt.ExecutableCacheSuffix) {
		t.Errorf("after compilers at once the cache holds %v and %v; want one entry", all, hidden)
	}
}

// containsAll reports whether s contains each of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
