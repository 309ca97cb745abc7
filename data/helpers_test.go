package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes encodes a raw IDX file.
func idxBytes(typ byte, dims []int, payload []byte) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, payload...)
}

// gzipBytes gzips b.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// seq returns n bytes counting up from start, wrapping at 256.
func seq(n, start int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

// writeFile writes b to dir/name, creating folders.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeIDXSet writes a small IDX set under the standard names into dir:
// nTrain and nTest h×w images with labels i%10, gzipped if gz.
func writeIDXSet(t testing.TB, dir string, nTrain, nTest, h, w int, gz bool) {
	t.Helper()
	names := standardFiles()
	for i, n := range []int{nTrain, nTest} {
		labels := make([]byte, n)
		for j := range labels {
			labels[j] = byte(j % 10)
		}
		files := map[string][]byte{
			names[2*i]:   idxBytes(IDXUint8, []int{n, h, w}, seq(n*h*w, i)),
			names[2*i+1]: idxBytes(IDXUint8, []int{n}, labels),
		}
		for name, b := range files {
			if gz {
				name, b = name+".gz", gzipBytes(t, b)
			}
			writeFile(t, dir, name, b)
		}
	}
}

// wantErr checks that err is non-nil and mentions every one of want.
func wantErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// mnistDir returns the folder of the real MNIST files, skipping the test if
// they are absent, unless $CI is "true".
func mnistDir(t *testing.T) string {
	t.Helper()
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, ".local", "share", "latent", "mnist")
	if d := os.Getenv("LATENT_DATA"); d != "" {
		dir = filepath.Join(d, "mnist")
	}
	if _, ok := findFiles(dir, standardFiles()); !ok {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MNIST files missing from %s (CI=true); run make setup", dir)
		}
		t.Skipf("MNIST files missing from %s; run make setup", dir)
	}
	return dir
}
