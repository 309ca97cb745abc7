package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	tests := []struct {
		name    string
		fill    func(w io.Writer) error
		wantErr bool
		want    string
	}{
		{"new content replaces old", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, false, "new"},
		{"failed fill keeps old", func(w io.Writer) error { io.WriteString(w, "partial"); return errors.New("boom") }, true, "old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := Write(path, tc.fill)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Write error = %v, wantErr %v", err, tc.wantErr)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("content = %q, want %q", got, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only the target (temporary file left behind?)", len(entries))
			}
		})
	}
}

func TestWriteModeSetsPermissions(t *testing.T) {
	for _, mode := range []os.FileMode{0o755, 0o600} {
		path := filepath.Join(t.TempDir(), "lib.so")
		if err := WriteMode(path, mode, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != mode {
			t.Errorf("mode = %v, want %v", got, mode)
		}
	}
}
