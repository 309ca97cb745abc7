package pjrtplugin

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latent-vae/latent/backend/nvidia"
)

// zipOf builds a wheel (a zip) of the given files; names ending in "*" are
// stored executable (the star removed).
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeCUDA is a small CUDA release and the index that serves it.
type fakeCUDA struct {
	rel      CUDARelease
	files    map[string][]byte      // wheel file name → bytes served
	truncate string                 // a wheel served half under its full length
	onFetch  func(file string) bool // called before a wheel is served; true: never answer
	delay    time.Duration          // each wheel's body is sent this long after its headers
	hits     atomic.Int64
}

var fakeLibA = strings.Repeat("liba", 1000)

func newFakeCUDA(t *testing.T, libA map[string]string) *fakeCUDA {
	if libA == nil {
		libA = map[string]string{"nvidia/cu13/lib/liba.so.13": fakeLibA, "nvidia/cu13/include/a.h": "header", "nvidia/cu13/bin/tool*": "#!tool",
			"nvidia/__init__.py": ""}
	}
	f := &fakeCUDA{files: map[string][]byte{}}
	wheel := func(pkg string, content []byte) Wheel {
		file := strings.ReplaceAll(pkg, "-", "_") + "-1.0-py3-none-manylinux_2_27_x86_64.whl"
		f.files[file] = content
		return Wheel{Package: pkg, Version: "1.0", File: file, SHA256: sha(content), Size: int64(len(content))}
	}
	f.rel = CUDARelease{
		Major:        13,
		Plugin:       wheel("jax-cuda13-pjrt", zipOf(t, map[string]string{"jax_plugins/xla_cuda13/xla_cuda_plugin.so": string(fakePlugin)})),
		PluginMember: "jax_plugins/xla_cuda13/xla_cuda_plugin.so",
		Unpacked:     1 << 20,
		Libraries: []LibraryWheel{
			{wheel("nvidia-fake-a", zipOf(t, libA)), []string{"cu13/lib/liba.so.13", "cu13/bin/tool"}},
			{wheel("nvidia-fake-b", zipOf(t, map[string]string{"nvidia/cudnn/lib/libb.so.9": "libb"})), []string{"cudnn/lib/libb.so.9"}},
		},
	}
	return f
}

func (f *fakeCUDA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	if pkg, ok := strings.CutPrefix(r.URL.Path, "/simple/"); ok {
		pkg = strings.TrimSuffix(pkg, "/")
		for _, wh := range f.rel.Wheels(false) {
			if wh.Package == pkg {
				w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
				fmt.Fprintf(w, `{"files": [{"filename": %q, "url": "/files/%s", "size": %d}]}`, wh.File, wh.File, len(f.files[wh.File]))
				return
			}
		}
	}
	if file, ok := strings.CutPrefix(r.URL.Path, "/files/"); ok && f.files[file] != nil {
		if f.onFetch != nil && f.onFetch(file) {
			<-r.Context().Done() // hold the answer until the client leaves
			return
		}
		data := f.files[file]
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		if f.delay > 0 {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				return
			}
		}
		if file == f.truncate {
			w.Write(data[:len(data)/2])
			return
		}
		w.Write(data)
		return
	}
	http.NotFound(w, r)
}

// install runs InstallCUDA of f's release from srv into dir.
func (f *fakeCUDA) install(ctx context.Context, srv *httptest.Server, dir string, change func(*CUDAOptions)) (CUDAResult, error) {
	rel := f.rel
	opt := CUDAOptions{Options: Options{Dir: dir, IndexURL: srv.URL + "/simple", Timeout: 20 * time.Second, StallTimeout: 2 * time.Second},
		Release: &rel, FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }}
	if change != nil {
		change(&opt)
	}
	return InstallCUDA(ctx, opt)
}

// tree lists every file under dir, relative, with "*" after executables.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if info.Mode()&0o111 != 0 {
			rel += "*"
		}
		out = append(out, rel)
		return nil
	})
	slices.Sort(out)
	return out
}

// TestInstallCUDA: the layout the plugin's RPATH searches, checksums,
// idempotency and --force.
func TestInstallCUDA(t *testing.T) {
	f := newFakeCUDA(t, nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "go-xla")
	var log bytes.Buffer
	res, err := f.install(context.Background(), srv, dir, func(o *CUDAOptions) { o.Log = &log })
	if err != nil {
		t.Fatal(err)
	}
	stamp := ".jax-cuda13-pjrt-1.0.installed"
	want := []string{"cuda13/" + stamp, "cuda13/nvidia/cu13/bin/tool*", "cuda13/nvidia/cu13/lib/liba.so.13*",
		"cuda13/nvidia/cudnn/lib/libb.so.9*", "cuda13/pjrt/pjrt_c_api_cuda_plugin.so*"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("installed files %v, want %v (no headers, no __init__.py, nothing temporary)", got, want)
	}
	if res.Plugin != filepath.Join(dir, "cuda13", "pjrt", CUDAPluginName) || res.Wheels != 3 || res.AlreadyInstalled {
		t.Errorf("result %+v", res)
	}
	if got, _ := os.ReadFile(res.Plugin); !bytes.Equal(got, fakePlugin) {
		t.Error("the plugin is not the wheel's member")
	}
	if info, _ := os.Stat(filepath.Join(dir, "cuda13")); info.Mode().Perm() != 0o755 {
		t.Errorf("cuda13 folder mode %v, want 0755", info.Mode().Perm())
	}
	stampText, _ := os.ReadFile(filepath.Join(dir, "cuda13", stamp))
	for _, w := range f.rel.Wheels(false) {
		if !strings.Contains(string(stampText), w.File+" sha256:"+w.SHA256) {
			t.Errorf("stamp lacks %s and its checksum:\n%s", w.File, stampText)
		}
	}
	if !regexp.MustCompile(`CUDA 13: 3 wheels, 0\.00 GB to download`).MatchString(log.String()) {
		t.Errorf("log does not start with the download size:\n%s", log.String())
	}

	// a killed install's temporary folder goes at the next install; a
	// running one's (younger than the timeout) stays
	killed, running := filepath.Join(dir, ".cuda13.tmp-1"), filepath.Join(dir, ".cuda13.tmp-2")
	for _, d := range []string{killed, running} {
		os.MkdirAll(filepath.Join(d, "nvidia"), 0o755)
	}
	old := time.Now().Add(-21 * time.Second)
	os.Chtimes(killed, old, old)

	hits := f.hits.Load()
	again, err := f.install(context.Background(), srv, dir, nil)
	if err != nil || !again.AlreadyInstalled || f.hits.Load() != hits {
		t.Errorf("second install: %+v, %v, %d requests; want AlreadyInstalled and no request", again, err, f.hits.Load()-hits)
	}
	forced, err := f.install(context.Background(), srv, dir, func(o *CUDAOptions) { o.Force = true })
	if err != nil || forced.AlreadyInstalled || f.hits.Load() == hits {
		t.Errorf("forced install: %+v, %v; want a fresh download", forced, err)
	}
	if _, err := os.Stat(killed); err == nil {
		t.Errorf("a killed install's %s is still there", killed)
	}
	if _, err := os.Stat(running); err != nil {
		t.Errorf("a running install's %s was removed: %v", running, err)
	}
	os.RemoveAll(running)
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after --force: %v, want %v", got, want)
	}
}

// TestInstallCUDAFailures: each failure says what happened and leaves
// nothing behind; an earlier install stays whole.
func TestInstallCUDAFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeCUDA, cancel context.CancelFunc, opt *CUDAOptions)
		libA    map[string]string
		wantErr []string
		noHits  bool // refused before any request
	}{
		{"wrong checksum", func(f *fakeCUDA, _ context.CancelFunc, _ *CUDAOptions) {
			f.rel.Libraries[1].SHA256 = sha([]byte("another wheel"))
		}, nil, []string{"nvidia_fake_b-1.0-py3-none-manylinux_2_27_x86_64.whl has SHA-256", "nothing was installed", "latent setup --cuda 13 --dir DIR"}, false},
		{"truncated download", func(f *fakeCUDA, _ context.CancelFunc, _ *CUDAOptions) {
			f.truncate = f.rel.Libraries[0].File
		}, nil, []string{"truncated after", "nothing was installed"}, false},
		{"interrupted", func(f *fakeCUDA, cancel context.CancelFunc, _ *CUDAOptions) {
			f.onFetch = func(file string) bool {
				if file == f.rel.Libraries[1].File {
					cancel() // as Ctrl-C does
					return true
				}
				return false
			}
		}, nil, []string{"interrupted while installing nvidia_fake_b", "nothing was installed"}, false},
		{"disk full", func(f *fakeCUDA, _ context.CancelFunc, opt *CUDAOptions) {
			opt.FreeSpace = func(string) (uint64, error) { return 500_000, nil }
		}, nil, []string{"has 0.00 GB free, the CUDA install needs 0.00 GB", "choose another --dir", "nothing was downloaded"}, true},
		{"wheel missing a library", nil, map[string]string{"nvidia/cu13/bin/tool*": "#!tool"},
			[]string{"nvidia_fake_a-1.0-py3-none-manylinux_2_27_x86_64.whl lacks nvidia/cu13/lib/liba.so.13", "nothing was installed"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, earlier := range []bool{false, true} {
				f := newFakeCUDA(t, tc.libA)
				srv := httptest.NewServer(f)
				defer srv.Close()
				dir := filepath.Join(t.TempDir(), "go-xla")
				var before []string
				if earlier {
					good := newFakeCUDA(t, nil)
					gsrv := httptest.NewServer(good)
					if _, err := good.install(context.Background(), gsrv, dir, nil); err != nil {
						t.Fatal(err)
					}
					gsrv.Close()
					before = tree(t, dir)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var change func(*CUDAOptions)
				if tc.setup != nil {
					change = func(o *CUDAOptions) { tc.setup(f, cancel, o); o.Force = true; o.Release = &f.rel }
				} else {
					change = func(o *CUDAOptions) { o.Force = true }
				}
				_, err := f.install(ctx, srv, dir, change)
				for _, w := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("earlier install %v: error %v, want one containing %q", earlier, err, w)
					}
				}
				if got := tree(t, dir); !slices.Equal(got, before) {
					t.Errorf("earlier install %v: %s holds %v after the failure, want %v", earlier, dir, got, before)
				}
				if tc.noHits && f.hits.Load() != 0 {
					t.Errorf("%d requests made; want the free-space check first", f.hits.Load())
				}
			}
		})
	}
}

// TestCUDAPins: every file the backend looks for beside a CUDA plugin comes
// from one of the pinned wheels, and each pin is a checksummed wheel for
// Linux x86-64 of its package.
func TestCUDAPins(t *testing.T) {
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, rel := range CUDAReleases {
		nv, ok := nvidia.ReleaseFor(rel.Major)
		if !ok {
			t.Fatalf("CUDA %d: backend/nvidia does not know it", rel.Major)
		}
		var provided []string
		var total int64
		for _, l := range rel.Libraries {
			provided = append(provided, l.Provides...)
		}
		for _, w := range rel.Wheels(false) {
			prefix := strings.ReplaceAll(w.Package, "-", "_") + "-" + w.Version + "-"
			if !hex64.MatchString(w.SHA256) || w.Size <= 0 || !strings.HasPrefix(w.File, prefix) || !strings.Contains(w.File, "x86_64") {
				t.Errorf("CUDA %d: bad pin %+v", rel.Major, w)
			}
			total += w.Size
		}
		for _, need := range append(append([]string{}, nv.Libraries...), nv.Tools...) {
			if !slices.Contains(provided, need) {
				t.Errorf("CUDA %d: no pinned wheel provides %s, which the backend needs", rel.Major, need)
			}
		}
		if !strings.Contains(rel.PluginMember, fmt.Sprintf("xla_cuda%d/", rel.Major)) || rel.Unpacked < total {
			t.Errorf("CUDA %d: plugin member %q, unpacked %d < download %d", rel.Major, rel.PluginMember, rel.Unpacked, total)
		}
	}
}

// TestMakefileCUDAStamp: `make test` checks the stamp a plugin-only install
// of the pinned CUDA 13 plugin writes.
func TestMakefileCUDAStamp(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := CUDAReleaseFor(13)
	for _, want := range []string{"CUDA_WHEEL         := " + rel.Plugin.Package + "\n", "CUDA_VERSION       := " + rel.Plugin.Version + "\n",
		"cuda13/.$(CUDA_WHEEL)-$(CUDA_VERSION).plugin-only.installed", "setup --cuda --plugin-only --dir $(LATENT_TEST_CUDA_DIR)"} {
		if !bytes.Contains(mk, []byte(want)) {
			t.Errorf("Makefile lacks %q: its stamp would differ from %s", want, rel.CUDAStampName(true))
		}
	}
}

// TestInstallCUDAFreeSpace checks the free-space rule docs/gpu.md states:
// the disk must hold the unpacked size plus the largest wheel, checked on
// the nearest folder of --dir that exists, before any download.
func TestInstallCUDAFreeSpace(t *testing.T) {
	f := newFakeCUDA(t, nil)
	srv := httptest.NewServer(f)
	defer srv.Close()
	var largest int64
	for _, w := range f.rel.Wheels(false) {
		largest = max(largest, w.Size)
	}
	need := f.rel.Unpacked + largest
	for _, tc := range []struct {
		free int64
		ok   bool
	}{{need, true}, {need - 1, false}} {
		base := t.TempDir()
		dir := filepath.Join(base, "not", "made", "go-xla")
		var asked []string
		hits := f.hits.Load()
		_, err := f.install(context.Background(), srv, dir, func(o *CUDAOptions) {
			o.FreeSpace = func(d string) (uint64, error) { asked = append(asked, d); return uint64(tc.free), nil }
		})
		if tc.ok && err != nil {
			t.Errorf("%d bytes free, %d needed (unpacked %d + largest wheel %d): %v, want the install", tc.free, need, f.rel.Unpacked, largest, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "nothing was downloaded") || f.hits.Load() != hits) {
			t.Errorf("%d bytes free, %d needed: %v after %d requests; want a refusal before any request", tc.free, need, err, f.hits.Load()-hits)
		}
		if !slices.Equal(asked, []string{base}) {
			t.Errorf("free space asked of %q, want once of %s (the nearest folder of --dir that exists)", asked, base)
		}
	}
}

// TestInstallCUDATimeout checks that the timeout bounds the whole install,
// not each download: three wheels of 0.4 s each pass alone under a 1 s
// timeout, not together; and that the default is 2 hours (a killed
// install's folder older than that goes, a younger one stays).
func TestInstallCUDATimeout(t *testing.T) {
	if DefaultCUDATimeout != 2*time.Hour {
		t.Errorf("DefaultCUDATimeout = %v, docs/gpu.md says 2 hours", DefaultCUDATimeout)
	}
	f := newFakeCUDA(t, nil)
	f.delay = 400 * time.Millisecond
	srv := httptest.NewServer(f)
	defer srv.Close()
	for _, tc := range []struct {
		timeout time.Duration
		ok      bool
	}{{5 * time.Second, true}, {time.Second, false}} {
		dir := filepath.Join(t.TempDir(), "go-xla")
		start := time.Now()
		_, err := f.install(context.Background(), srv, dir, func(o *CUDAOptions) { o.Timeout = tc.timeout })
		took := time.Since(start)
		if tc.ok && err != nil {
			t.Errorf("timeout %v: %v, want the install (3 wheels of %v)", tc.timeout, err, f.delay)
		}
		if !tc.ok {
			if err == nil || !strings.Contains(err.Error(), "timed out (1s for the whole install)") {
				t.Errorf("timeout %v: %v, want the whole install timed out (3 wheels of %v)", tc.timeout, err, f.delay)
			}
			if got := tree(t, dir); len(got) != 0 {
				t.Errorf("a timed-out install left %v", got)
			}
			if took > 3*time.Second {
				t.Errorf("a 1 s timeout ended the install after %v", took)
			}
		}
	}

	f.delay = 0
	dir := filepath.Join(t.TempDir(), "go-xla")
	killed, younger := filepath.Join(dir, ".cuda13.tmp-1"), filepath.Join(dir, ".cuda13.tmp-2")
	for d, age := range map[string]time.Duration{killed: 2*time.Hour + time.Minute, younger: 2*time.Hour - time.Minute} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		if err := os.Chtimes(d, when, when); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.install(context.Background(), srv, dir, func(o *CUDAOptions) { o.Timeout = 0 }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); err == nil {
		t.Errorf("with the default timeout, a temporary folder 2 h 1 min old stays")
	}
	if _, err := os.Stat(younger); err != nil {
		t.Errorf("with the default timeout, a temporary folder 1 h 59 min old was removed: %v", err)
	}
}

// TestDownloadSize: an install downloads the plugin alone with pluginOnly,
// else the plugin and every library.
func TestDownloadSize(t *testing.T) {
	for _, major := range []int{12, 13} {
		rel, err := CUDAReleaseFor(major)
		if err != nil {
			t.Fatal(err)
		}
		libraries := int64(0)
		for _, l := range rel.Libraries {
			libraries += l.Size
		}
		if got := rel.DownloadSize(true); got != rel.Plugin.Size || got <= 0 {
			t.Errorf("CUDA %d, plugin only: %d bytes, want the plugin's %d", major, got, rel.Plugin.Size)
		}
		if got, want := rel.DownloadSize(false), rel.Plugin.Size+libraries; got != want || libraries <= 0 {
			t.Errorf("CUDA %d: %d bytes, want %d", major, got, want)
		}
	}
}
