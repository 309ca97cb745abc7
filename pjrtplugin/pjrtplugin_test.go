package pjrtplugin

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latent-vae/latent/internal/dialer"
	"github.com/latent-vae/latent/internal/pipenet"
)

// fakePlugin stands in for the shared library inside the wheel.
var fakePlugin = append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte("xla"), 5000)...)

// makeWheel builds a zip holding content at member, plus a metadata file.
func makeWheel(t *testing.T, member string, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{member: content, "xla_cpu_pjrt-0.0.1.dist-info/METADATA": []byte("Name: xla-cpu-pjrt\n")} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// index is a stand-in for PyPI: a project page and the wheel's URL.
type index struct {
	wheel    []byte
	html     bool // answer with a PEP 503 HTML page instead of PEP 691 JSON
	truncate bool // send half the wheel under its full Content-Length
	stall    bool // send half the wheel, then nothing until the client leaves
	status   int  // answer the wheel's URL with this status when non-zero
	hits     atomic.Int64
}

func (ix *index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ix.hits.Add(1)
	switch r.URL.Path {
	case "/simple/" + Package + "/":
		if ix.html {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<html><body><a href="../../files/other.whl#sha256=00">x</a><a href="../../files/%s#sha256=%s">%s</a></body></html>`,
				WheelFile, sha(ix.wheel), WheelFile)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
		fmt.Fprintf(w, `{"files": [{"filename": %q, "url": "/files/%s", "size": %d, "hashes": {"sha256": %q}}], "meta": {"api-version": "1.1"}}`,
			WheelFile, WheelFile, len(ix.wheel), sha(ix.wheel))
	case "/files/" + WheelFile:
		if ix.status != 0 {
			http.Error(w, "forbidden", ix.status)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(ix.wheel)))
		if ix.stall {
			w.Write(ix.wheel[:len(ix.wheel)/2])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		if ix.truncate {
			w.Write(ix.wheel[:len(ix.wheel)/2])
			return // the server closes the connection short of Content-Length
		}
		w.Write(ix.wheel)
	default:
		http.NotFound(w, r)
	}
}

// closedURL is an index URL on a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/simple"
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestInstall(t *testing.T) {
	good := makeWheel(t, Member, fakePlugin)
	noMember := makeWheel(t, "xla_plugins/other.so", fakePlugin)
	tests := []struct {
		name    string
		ix      *index
		sum     string // expected checksum given in Options
		url     string // index URL instead of the test server's
		wantErr string // substring of the error; "" for success
	}{
		{"good wheel from a JSON index", &index{wheel: good}, sha(good), "", ""},
		{"good wheel from an HTML index", &index{wheel: good, html: true}, sha(good), "", ""},
		{"wrong checksum", &index{wheel: good}, sha([]byte("another wheel")), "", "SHA-256"},
		{"truncated download", &index{wheel: good, truncate: true}, sha(good), "", "truncated after"},
		{"stalled download", &index{wheel: good, stall: true}, sha(good), "", "nothing received for 500ms"},
		{"refused download", &index{wheel: good, status: http.StatusForbidden}, sha(good), "", "403 Forbidden"},
		{"member missing", &index{wheel: noMember}, sha(noMember), "", "holds no " + Member},
		{"not an index", &index{wheel: good}, sha(good), "/nothing-here", "404 Not Found"},
		{"no network", &index{wheel: good}, sha(good), "closed", "could not reach"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.ix)
			defer srv.Close()
			dir := filepath.Join(t.TempDir(), "go-xla")
			opt := Options{Dir: dir, IndexURL: srv.URL + "/simple", SHA256: tc.sum, Timeout: 20 * time.Second, StallTimeout: 500 * time.Millisecond}
			switch tc.url {
			case "closed":
				opt.IndexURL = closedURL(t)
			case "":
			default:
				opt.IndexURL = srv.URL + tc.url
			}
			res, err := Install(context.Background(), opt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Install error = %v, want one containing %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), "PJRT_PLUGIN_LIBRARY_PATH") {
					t.Errorf("error %q does not say what to do without network", err)
				}
				if names := listDir(t, dir); len(names) != 0 {
					t.Errorf("failed install left %v in %s", names, dir)
				}
				return
			}
			if err != nil {
				t.Fatalf("Install: %v", err)
			}
			checkInstalled(t, dir, res)
			hits := tc.ix.hits.Load()
			again, err := Install(context.Background(), opt)
			if err != nil || !again.AlreadyInstalled || tc.ix.hits.Load() != hits {
				t.Errorf("second Install: %+v, %v, %d requests; want AlreadyInstalled and no request", again, err, tc.ix.hits.Load()-hits)
			}
		})
	}
}

// checkInstalled checks dir holds exactly the plugin, executable, and the stamp.
func checkInstalled(t *testing.T, dir string, res Result) {
	t.Helper()
	plugin := filepath.Join(dir, PluginName)
	if res.Path != plugin || res.AlreadyInstalled {
		t.Errorf("result %+v, want a fresh install at %s", res, plugin)
	}
	got, err := os.ReadFile(plugin)
	if err != nil || !bytes.Equal(got, fakePlugin) {
		t.Fatalf("installed plugin: %d bytes, err %v; want the wheel's member (%d bytes)", len(got), err, len(fakePlugin))
	}
	info, _ := os.Stat(plugin)
	if info.Mode().Perm() != 0o755 {
		t.Errorf("plugin mode %v, want 0755", info.Mode().Perm())
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{StampName, PluginName}) {
		t.Errorf("%s holds %v, want only the stamp and the plugin", dir, names)
	}
}

// TestInstallFailureKeepsPlugin: a forced reinstall that fails leaves the
// plugin already there untouched.
func TestInstallFailureKeepsPlugin(t *testing.T) {
	good := makeWheel(t, Member, fakePlugin)
	srv := httptest.NewServer(&index{wheel: good})
	defer srv.Close()
	dir := t.TempDir()
	opt := Options{Dir: dir, IndexURL: srv.URL + "/simple", SHA256: sha(good), Timeout: 20 * time.Second}
	if _, err := Install(context.Background(), opt); err != nil {
		t.Fatal(err)
	}
	opt.Force, opt.SHA256 = true, sha([]byte("other"))
	if _, err := Install(context.Background(), opt); err == nil {
		t.Fatal("forced install with a wrong checksum succeeded")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, PluginName)); !bytes.Equal(got, fakePlugin) {
		t.Error("the installed plugin changed after a failed reinstall")
	}
	if names := listDir(t, dir); len(names) != 2 {
		t.Errorf("%s holds %v after a failed reinstall, want the stamp and the plugin only", dir, names)
	}
}

func TestInstallRejectsBadIndexURL(t *testing.T) {
	_, err := Install(context.Background(), Options{Dir: t.TempDir(), IndexURL: "ftp://example.com/simple"})
	if err == nil || !strings.Contains(err.Error(), "http or https") {
		t.Errorf("error = %v, want one asking for an http(s) URL", err)
	}
}

// TestMakefileStamp: `make setup` checks the stamp Install writes, so the
// Makefile's pin must name the same version.
func TestMakefileStamp(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"XLA_CPU_WHEEL   := " + Package + "\n", "XLA_CPU_VERSION := " + Version + "\n",
		".$(XLA_CPU_WHEEL)-$(XLA_CPU_VERSION).installed"} {
		if !bytes.Contains(mk, []byte(want)) {
			t.Errorf("Makefile lacks %q: its stamp would differ from %s", want, StampName)
		}
	}
}

// TestInstallDefaultTimeouts: with no limits given, Install gives up on an
// index that never accepts the connection, never answers the TLS handshake
// or never sends response headers after 30 s (DefaultConnectTimeout), on a
// wheel download that stops after 60 s (DefaultStallTimeout), and on one
// that trickles on for ever after 15 min (DefaultTimeout), leaving nothing
// in the folder. The servers are in memory and the clock is
// testing/synctest's, so the minutes take no time.
func TestInstallDefaultTimeouts(t *testing.T) {
	wheel := makeWheel(t, Member, fakePlugin)
	page := &index{wheel: wheel}
	serveWheel := func(send func(w http.ResponseWriter, r *http.Request)) func(l *pipenet.Listener) {
		return func(l *pipenet.Listener) {
			l.Serve(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/files/"+WheelFile {
					page.ServeHTTP(w, r)
					return
				}
				w.Header().Set("Content-Length", fmt.Sprint(len(wheel)))
				send(w, r)
			})
		}
	}
	tests := []struct {
		name, scheme string
		serve        func(l *pipenet.Listener) // nil: nothing accepts
		after        time.Duration
		want         string
	}{
		{"connection never accepted", "http", nil, 30 * time.Second, "deadline exceeded"},
		{"TLS handshake never answered", "https", (*pipenet.Listener).Silent, 30 * time.Second, "TLS handshake timeout"},
		{"headers never come", "http", func(l *pipenet.Listener) {
			l.Serve(func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			})
		}, 30 * time.Second, "timeout awaiting response headers"},
		{"download stops", "http", serveWheel(func(w http.ResponseWriter, r *http.Request) {
			w.Write(wheel[:100])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}), time.Minute, "nothing received for 1m0s"},
		{"download trickles on", "http", serveWheel(func(w http.ResponseWriter, r *http.Request) {
			for i := 0; ; i++ {
				w.Write(wheel[i : i+1])
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(DefaultStallTimeout - time.Second):
				}
			}
		}), 15 * time.Minute, "timed out (15m0s for the whole install)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			took, err := pipenet.Time(t, tt.serve, func(dial dialer.Func) error {
				// 127.0.0.1 is never sent through a proxy from the environment.
				_, err := Install(context.Background(), Options{Dir: dir, IndexURL: tt.scheme + "://127.0.0.1/simple", SHA256: sha(wheel), dial: dial})
				return err
			})
			t.Logf("gave up after %v: %v", took, err)
			if took != tt.after {
				t.Errorf("gave up after %v, want %v", took, tt.after)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Errorf("%s holds %v after a failed install, want nothing", dir, names)
			}
		})
	}
}
