package metricsfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestOpen: a resume keeps the whole rows up to its step under the new
// header, drops later ones and a torn last line, then appends.
func TestOpen(t *testing.T) {
	tests := []struct {
		name, before string
		start        int64
		want         string
	}{
		{"new file", "", 0, "h\nrow\n"},
		{"fresh start keeps step 0 only", "old\n0,a\n5,b\n", 0, "h\n0,a\nrow\n"},
		{"resume drops later rows", "old\n5,a\n10,b\n15,c\n", 10, "h\n5,a\n10,b\nrow\n"},
		{"torn last line", "old\n5,a\n10,b", 10, "h\n5,a\nrow\n"},
		{"unparsable rows", "old\nx,a\n5,b\n", 10, "h\n5,b\nrow\n"},
	}
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), "metrics.csv")
		if tc.before != "" {
			if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		w, err := Open(path, "h", tc.start)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := w.Write("row"); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: file %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestOpenUnreadable fails on a path that is a folder, leaving it.
func TestOpenUnreadable(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, "h", 0); err == nil {
		t.Fatal("a folder opened as a metrics file")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("the folder was replaced: %v", err)
	}
}
