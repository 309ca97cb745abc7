package data

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latent-vae/latent/internal/dialer"
	"github.com/latent-vae/latent/internal/download"
	"github.com/latent-vae/latent/internal/pipenet"
	"github.com/latent-vae/latent/internal/timeout"
)

// servedSet returns the gzipped files of a small IDX set, by name.
func servedSet(t *testing.T) map[string][]byte {
	t.Helper()
	src := t.TempDir()
	writeIDXSet(t, src, 20, 10, 3, 3, true)
	files := map[string][]byte{}
	for _, n := range standardFiles() {
		b, err := os.ReadFile(filepath.Join(src, n+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		files[n+".gz"] = b
	}
	return files
}

// checksums returns a checksum table of files: sha256 for the image files,
// md5 for the label files.
func checksums(files map[string][]byte) []remoteFile {
	var table []remoteFile
	for _, n := range standardFiles() {
		b := files[n+".gz"]
		if strings.Contains(n, "images") {
			s := sha256.Sum256(b)
			table = append(table, remoteFile{n + ".gz", "sha256:" + hex.EncodeToString(s[:])})
		} else {
			s := md5.Sum(b)
			table = append(table, remoteFile{n + ".gz", "md5:" + hex.EncodeToString(s[:])})
		}
	}
	return table
}

func TestFetch(t *testing.T) {
	files := servedSet(t)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/sets/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	good := checksums(files)
	wrong := checksums(files)
	wrong[2].sum = "sha256:" + strings.Repeat("0", 64)
	missing := append(checksums(files), remoteFile{"extra.gz", "md5:" + strings.Repeat("0", 32)})

	tests := []struct {
		name     string
		table    []remoteFile
		want     []string // error substrings; none for success
		absent   string   // a file that must not be left in the folder
		requests int64
	}{
		{"good", good, nil, "", 4},
		{"wrong checksum", wrong, []string{"t10k-images-idx3-ubyte.gz", "checksum mismatch", "the download was removed"}, "t10k-images-idx3-ubyte.gz", 3},
		{"missing file", missing, []string{"extra.gz", "404 Not Found"}, "extra.gz", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new")
			requests.Store(0)
			err := fetchFiles(context.Background(), dir, FetchOptions{BaseURL: srv.URL + "/sets", Client: srv.Client()}, tt.table)
			if tt.want != nil {
				wantErr(t, err, tt.want...)
			} else if err != nil {
				t.Fatal(err)
			}
			if got := requests.Load(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") || e.Name() == tt.absent {
					t.Errorf("%s left in the folder", e.Name())
				}
			}
			if tt.want != nil {
				return
			}
			set, err := Load("fashion-mnist", Options{Dir: dir})
			if err != nil || set.Train.N != 20 || set.Test.N != 10 {
				t.Fatalf("loading the fetched set: %v", err)
			}
			// A second fetch finds the files verified and downloads nothing.
			requests.Store(0)
			if err := fetchFiles(context.Background(), dir, FetchOptions{BaseURL: srv.URL + "/sets/"}, tt.table); err != nil || requests.Load() != 0 {
				t.Errorf("second fetch: %v, %d requests; want none", err, requests.Load())
			}
		})
	}
}

func TestFetchSetErrors(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"emnist-balanced", []string{"emnist-balanced", EMNISTURL, "emnist-balanced-{train,test}-{images-idx3,labels-idx1}-ubyte.gz", "emnist-balanced-mapping.txt"}},
		{"cifar", []string{"cifar", "unknown data set"}},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		err := Fetch(context.Background(), tt.name, dir, FetchOptions{BaseURL: "http://127.0.0.1:1/"})
		wantErr(t, err, tt.want...)
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: the folder holds %d files, want none", tt.name, len(entries))
		}
	}
}

// TestPublishedMNISTChecksums checks the MNIST checksum table against the
// local copy of MNIST, which make setup takes from the same published files.
func TestPublishedMNISTChecksums(t *testing.T) {
	dir := mnistDir(t)
	set, err := published(MNIST, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.files {
		got, err := download.FileSum(filepath.Join(dir, f.name), f.sum)
		if err != nil || got != f.sum {
			t.Errorf("%s: checksum %s (%v), want %s", f.name, got, err, f.sum)
		}
	}
	for _, name := range []string{FashionMNIST, KMNIST} {
		set, err := published(name, "")
		if err != nil || len(set.files) != 4 || !strings.HasPrefix(set.baseURL, "http") {
			t.Errorf("%s: %+v, %v", name, set, err)
		}
	}
}

func TestFetchTimeouts(t *testing.T) {
	payload := []byte("twenty bytes of data")
	sum := md5.Sum(payload)
	table := []remoteFile{{"f.gz", "md5:" + hex.EncodeToString(sum[:])}}
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter, stop <-chan struct{}) // serves payload, or stalls until stop
		want  []string                                          // error substrings; none for success
	}{
		{"headers never come", func(w http.ResponseWriter, stop <-chan struct{}) {
			<-stop
		}, []string{"f.gz", "timeout awaiting response headers"}},
		{"body stalls", func(w http.ResponseWriter, stop <-chan struct{}) {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			w.Write(payload[:4])
			w.(http.Flusher).Flush()
			<-stop
		}, []string{"f.gz", "the server sent nothing for 300ms"}},
		// 600 ms in all, longer than the idle timeout, but never idle for long.
		{"slow but steady body", func(w http.ResponseWriter, stop <-chan struct{}) {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			for i := range payload {
				w.Write(payload[i : i+1])
				w.(http.Flusher).Flush()
				time.Sleep(30 * time.Millisecond)
			}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				stalled := make(chan struct{})
				go func() {
					defer close(stalled)
					select {
					case <-r.Context().Done():
					case <-stop:
					}
				}()
				tt.serve(w, stalled)
			}))
			defer srv.Close()
			defer close(stop)
			dir := t.TempDir()
			opt := FetchOptions{BaseURL: srv.URL, HeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}
			var err error
			timeout.Within(t, 5*time.Second, func() { err = fetchFiles(context.Background(), dir, opt, table) })
			entries, _ := os.ReadDir(dir)
			if tt.want == nil {
				if err != nil || len(entries) != 1 {
					t.Fatalf("error %v, %d files; want f.gz alone", err, len(entries))
				}
				return
			}
			wantErr(t, err, tt.want...)
			if len(entries) != 0 {
				t.Errorf("%s left in the folder", entries[0].Name())
			}
		})
	}
}

// TestFetchDefaultTimeouts: with no timeouts given, a download gives up on
// a server that never accepts the connection after 30 s, one that never
// answers the TLS handshake after 30 s, one that sends no response headers
// after 60 s and one whose body stops after 60 s. The servers are in
// memory and the clock is testing/synctest's, so the minutes take no time.
func TestFetchDefaultTimeouts(t *testing.T) {
	payload := []byte("twenty bytes of data")
	sum := md5.Sum(payload)
	table := []remoteFile{{"f.gz", "md5:" + hex.EncodeToString(sum[:])}}
	tests := []struct {
		name, scheme string
		serve        func(l *pipenet.Listener) // nil: nothing accepts
		after        time.Duration
		want         []string
	}{
		{"connection never accepted", "http", nil, 30 * time.Second, []string{"f.gz", "deadline exceeded"}},
		{"TLS handshake never answered", "https", (*pipenet.Listener).Silent, 30 * time.Second, []string{"f.gz", "TLS handshake timeout"}},
		{"headers never come", "http", func(l *pipenet.Listener) {
			l.Serve(func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			})
		}, time.Minute, []string{"f.gz", "timeout awaiting response headers"}},
		{"body stops", "http", func(l *pipenet.Listener) {
			l.Serve(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
				w.Write(payload[:4])
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			})
		}, time.Minute, []string{"f.gz", "the server sent nothing for 1m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			took, err := pipenet.Time(t, tt.serve, func(dial dialer.Func) error {
				// 127.0.0.1 is never sent through a proxy from the environment.
				opt := FetchOptions{BaseURL: tt.scheme + "://127.0.0.1/sets/", dial: dial}
				return fetchFiles(context.Background(), dir, opt, table)
			})
			t.Logf("gave up after %v: %v", took, err)
			if took != tt.after {
				t.Errorf("gave up after %v, want %v", took, tt.after)
			}
			wantErr(t, err, tt.want...)
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%s left in the folder", entries[0].Name())
			}
		})
	}
}

// TestFetchable checks that every set Fetchable names is one Fetch
// downloads (a published set with its checksums), and that a named set
// that is not published (EMNIST) is not among them.
func TestFetchable(t *testing.T) {
	names := Fetchable()
	if len(names) < 3 {
		t.Fatalf("Fetchable() = %q, want mnist, fashion-mnist and kmnist", names)
	}
	for _, name := range names {
		if set, err := published(name, ""); err != nil || len(set.files) == 0 {
			t.Errorf("Fetchable names %s, which Fetch refuses: %v", name, err)
		}
	}
	if slices.Contains(names, emnistPrefix+"digits") {
		t.Errorf("Fetchable() = %q names EMNIST, which is not published file by file", names)
	}
}
