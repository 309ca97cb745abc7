package backend

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

// The promises docs/backends.md makes about the compile cache, each
// tested here.

// TestCompileCacheKeyCovers checks that an entry's key changes with each
// part docs/backends.md names (the plugin's path, size and modification
// time, the device count, the CPU's model and flags, $XLA_FLAGS, the
// program and its compile options), that a CPU's clock speed and its other
// processors do not change it, and that a real compilation's key moves
// with the device count and the plugin's path.
func TestCompileCacheKeyCovers(t *testing.T) {
	const cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13\n" +
		"cpu MHz\t\t: 2450.000\nflags\t\t: fpu sse4_2 avx avx2\n\nprocessor\t: 1\nflags\t\t: fpu\n"
	identity := func(text string) string { return pjrt.CPUIdentity(strings.NewReader(text)) }
	base := pjrt.ExecutableCacheKeyParts{
		PluginPath: "/p/pjrt_c_api_cpu_plugin.so", PluginSize: 1000, PluginModTime: time.Unix(1700000000, 0),
		Platform: "cpu", PlatformVersion: "1", Devices: 4, Machine: "linux/amd64 " + identity(cpuinfo),
		XLAFlags: "", ProgramFormat: "mlir", Program: []byte("program"), Options: []byte("options"),
	}
	changes := map[string]func(p *pjrt.ExecutableCacheKeyParts){
		"plugin path":        func(p *pjrt.ExecutableCacheKeyParts) { p.PluginPath = "/q/pjrt_c_api_cpu_plugin.so" },
		"plugin size":        func(p *pjrt.ExecutableCacheKeyParts) { p.PluginSize++ },
		"plugin mtime":       func(p *pjrt.ExecutableCacheKeyParts) { p.PluginModTime = p.PluginModTime.Add(time.Nanosecond) },
		"platform version":   func(p *pjrt.ExecutableCacheKeyParts) { p.PlatformVersion = "2" },
		"device count":       func(p *pjrt.ExecutableCacheKeyParts) { p.Devices = 2 },
		"XLA_FLAGS":          func(p *pjrt.ExecutableCacheKeyParts) { p.XLAFlags = "--xla_cpu_max_isa=AVX2" },
		"program":            func(p *pjrt.ExecutableCacheKeyParts) { p.Program = []byte("programme") },
		"compile options":    func(p *pjrt.ExecutableCacheKeyParts) { p.Options = []byte("option") },
		"program and format": func(p *pjrt.ExecutableCacheKeyParts) { p.ProgramFormat, p.Program = "mlirprogram", nil },
		"CPU flags": func(p *pjrt.ExecutableCacheKeyParts) {
			p.Machine = "linux/amd64 " + identity(strings.Replace(cpuinfo, "avx avx2\n", "avx avx2 avx512f\n", 1))
		},
		"CPU model": func(p *pjrt.ExecutableCacheKeyParts) {
			p.Machine = "linux/amd64 " + identity(strings.Replace(cpuinfo, "model\t\t: 1\n", "model\t\t: 17\n", 1))
		},
	}
	keys := map[string]string{base.Key(): "base"}
	for name, change := range changes {
		p := base
		change(&p)
		k := p.Key()
		if other, seen := keys[k]; seen {
			t.Errorf("changing the %s leaves the key of %s (%s)", name, other, k)
		}
		keys[k] = name
	}
	for name, text := range map[string]string{
		"clock speed":      strings.Replace(cpuinfo, "2450.000", "3500.000", 1),
		"other processors": strings.Replace(cpuinfo, "processor\t: 1\nflags\t\t: fpu\n", "processor\t: 1\nflags\t\t: fpu avx512f\n", 1),
	} {
		if identity(text) != identity(cpuinfo) {
			t.Errorf("the CPU's %s changes its identity: %q, was %q", name, identity(text), identity(cpuinfo))
		}
	}
	if id := identity(cpuinfo); !strings.Contains(id, "avx2") || !strings.Contains(id, "AMD EPYC 7B13") {
		t.Errorf("CPUIdentity %q lacks the model or the flags", id)
	}

	// A real compilation: the same program under another device count, and
	// through another path to the same plugin, is another entry.
	plugin := realPlugin(t)
	dir := t.TempDir()
	open := func(config string, devices int) *Backend {
		t.Helper()
		t.Setenv(EnvCache, dir)
		t.Setenv(pjrt.EnvExecutableCache, "")
		t.Setenv(pjrt.EnvExecutableCacheTrust, "")
		b, err := OpenDevices(config, devices, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Finalize)
		return b
	}
	link := filepath.Join(t.TempDir(), filepath.Base(plugin))
	if err := os.Symlink(plugin, link); err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		what    string
		config  string
		devices int
		misses  int64
	}{
		{"2 devices", "xla:cpu", 2, 1},
		{"2 devices again", "xla:cpu", 2, 0},
		{"3 devices", "xla:cpu", 3, 1},
		{"the plugin through a link", "xla:" + link, 2, 1},
	} {
		b := open(step.config, step.devices)
		d := cacheDelta(func() { trimProgram(b, 3) })
		if d.Misses != step.misses || d.Hits != 1-step.misses || d.Errors != 0 {
			t.Errorf("%s: cache counts %+v, want %d miss(es)", step.what, d, step.misses)
		}
		if n, want := len(entries(t, dir)), []int{1, 1, 2, 3}[i]; n != want {
			t.Errorf("%s: %d entries, want %d", step.what, n, want)
		}
	}
}

// envChildPlugin, when set, is the path of the plugin the cache test's
// child loads in place of the installed XLA CPU plugin.
const envChildPlugin = "LATENT_CACHE_TEST_PLUGIN"

// TestCompileCachePluginFile checks end to end that the key covers the
// plugin file's size and modification time: a copy of the plugin, loaded
// by a child process (so that one process never holds two copies of XLA),
// compiles a program afresh after its modification time changes, and
// again after its size does (bytes appended past its end).
func TestCompileCachePluginFile(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the XLA CPU plugin (~250 MB)")
	}
	src := realPlugin(t)
	plugin := filepath.Join(t.TempDir(), filepath.Base(src))
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(plugin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, step := range []struct {
		what   string
		change func() error
		want   int // entries after the child ran
	}{
		{"a copy of the plugin", func() error { return nil }, 1},
		{"the same copy again", func() error { return nil }, 1},
		{"its modification time changed", func() error {
			later := time.Now().Add(time.Hour)
			return os.Chtimes(plugin, later, later)
		}, 2},
		{"its size changed, not its modification time", func() error {
			info, err := os.Stat(plugin)
			if err != nil {
				return err
			}
			f, err := os.OpenFile(plugin, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if _, err := f.Write(make([]byte, 4096)); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			return os.Chtimes(plugin, info.ModTime(), info.ModTime())
		}, 3},
	} {
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		runChild(t, dir, 0, envChildPlugin+"="+plugin)
		if n := len(entries(t, dir)); n != step.want {
			t.Errorf("%s: the cache holds %d entries, want %d", step.what, n, step.want)
		}
	}
}

// TestCompileCacheRenamedEntry renames one program's entry to another
// program's key: the entry is refused with a warning naming it as damaged,
// the program compiled afresh, and its result is its own.
func TestCompileCacheRenamedEntry(t *testing.T) {
	dir := t.TempDir()
	b := openCached(t, dir)
	t.Setenv(pjrt.EnvExecutableCacheMaxBytes, "")
	trimProgram(b, 3)
	three, _ := onlyEntry(t, dir)
	want := trimProgram(b, 4)
	var four string
	for _, e := range entries(t, dir) {
		if e != three {
			four = e
		}
	}
	if four == "" {
		t.Fatalf("the cache holds %v, want two entries", entries(t, dir))
	}
	if err := os.Rename(three, four); err != nil {
		t.Fatal(err)
	}
	var got []float32
	var d pjrt.ExecutableCacheStats
	stderr := captureStderr(t, func() { d = cacheDelta(func() { got = trimProgram(b, 4) }) })
	if d != (pjrt.ExecutableCacheStats{Misses: 1, Errors: 1}) || len(got) != 1 || !(got[0] == want[0]) {
		t.Errorf("the program of 4 with the entry of 3 under its key: cache counts %+v (want a miss and an error), result %v (want %v)", d, got, want)
	}
	if w := warnings(stderr); len(w) != 1 || !strings.Contains(w[0], four+" is damaged") {
		t.Errorf("a renamed entry warned %q; want one warning naming %s as damaged", stderr, four)
	}
}

// TestCompileCacheFolderOwners checks who may own the cache folder: the
// user of the process, or root (a folder an administrator made for the
// user), not another user; and that $LATENT_XLA_CACHE_TRUST=shared's check
// takes any owner. Checked as another user than this process's, so that
// it holds when the tests run as root.
func TestCompileCacheFolderOwners(t *testing.T) {
	const someone = 4242 // neither root nor the owner of the folders below
	if info, err := os.Stat("/"); err != nil || ownerUID(info) != 0 || info.Mode().Perm()&0o022 != 0 {
		t.Skipf("/ is not owned by root with mode 0755 here (%v)", err)
	}
	if err := pjrt.CheckExecutableCacheDirAs("/", false, someone); err != nil {
		t.Errorf("a folder owned by root, not writable by others, is refused to uid %d: %v", someone, err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, someone+1, someone+1); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	owner := ownerUID(info)
	if err := pjrt.CheckExecutableCacheDirAs(dir, false, owner); err != nil {
		t.Errorf("its owner's folder of mode 0755 is refused: %v", err)
	}
	if err := pjrt.CheckExecutableCacheDirAs(dir, false, someone); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("owned by uid %d", owner)) {
		t.Errorf("uid %d's folder checked as uid %d: %v, want it refused naming the owner", owner, someone, err)
	}
	if err := pjrt.CheckExecutableCacheDirAs(dir, true, someone); err != nil {
		t.Errorf("uid %d's folder checked as uid %d, shared: %v, want it taken", owner, someone, err)
	}
}

// TestCompileCacheDefaultLimit checks the cache's size limit: 512 MiB
// unless $GOXLA_EXECUTABLE_CACHE_MAX_BYTES says otherwise, and the default
// with a warning when that is not a positive number.
func TestCompileCacheDefaultLimit(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int64
		warn bool
	}{
		{"", 512 << 20, false},
		{"1000", 1000, false},
		{"-5", 512 << 20, true},
		{"lots", 512 << 20, true},
	} {
		t.Setenv(pjrt.EnvExecutableCacheMaxBytes, tc.env)
		var got int64
		stderr := captureStderr(t, func() { got = pjrt.ExecutableCacheMaxBytes() })
		if got != tc.want || (stderr != "") != tc.warn || (tc.warn && !strings.Contains(stderr, pjrt.EnvExecutableCacheMaxBytes)) {
			t.Errorf("$%s=%q: limit %d, warned %q; want %d and a warning %v", pjrt.EnvExecutableCacheMaxBytes, tc.env, got, stderr, tc.want, tc.warn)
		}
	}
}

// ownerUID returns the user id owning the file of info (-1 if unknown).
func ownerUID(info os.FileInfo) int {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
