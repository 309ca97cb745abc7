//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteRefusesSpecialFiles: only regular files (or new paths) are
// written; the special file is left as it was and no temporary file remains.
func TestWriteRefusesSpecialFiles(t *testing.T) {
	tests := []struct {
		name string
		make func(path string) error
		want string
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "named pipe"},
		{"folder", func(p string) error { return os.Mkdir(p, 0o755) }, "a folder"},
		{"socket", func(p string) error { _, err := net.Listen("unix", p); return err }, "a socket"},
		{"symlink to a device", func(p string) error { return os.Symlink("/dev/null", p) }, "a symlink to /dev/null, a character device"},
		{"dangling symlink", func(p string) error { return os.Symlink("missing", p) }, "does not resolve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			if err := tc.make(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(path)
			err := WriteBytes(path, []byte("data"))
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WriteBytes over a %s: %v, want an error naming %s and %q", tc.name, err, path, tc.want)
			}
			after, _ := os.Lstat(path)
			if after == nil || after.Mode() != before.Mode() {
				t.Errorf("the %s was replaced", tc.name)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only the %s", len(entries), tc.name)
			}
		})
	}
}

func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "real.txt"), filepath.Join(dir, "link.txt")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.txt", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(target)
	fi, _ := os.Lstat(link)
	if string(got) != "new" || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("target holds %q, link mode %v: want the target replaced and the link kept", got, fi.Mode())
	}
}

// TestWritePermissions: a replaced file keeps its bits exactly (even those
// the umask would strip); a new file gets 0666 less the umask.
func TestWritePermissions(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	tests := []struct {
		name     string
		existing fs.FileMode // 0: no file yet
		want     fs.FileMode
	}{
		{"private file stays private", 0o600, 0o600},
		{"shared file stays shared", 0o664, 0o664},
		{"executable stays executable", 0o755, 0o755},
		{"read-only stays read-only", 0o444, 0o444},
		{"new file follows the umask", 0, 0o600},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprint(i))
			if tc.existing != 0 {
				if err := os.WriteFile(path, nil, 0); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteBytes(path, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tc.want {
				t.Errorf("mode %v, %v; want %v", fi.Mode().Perm(), err, tc.want)
			}
		})
	}
}

// TestWriteSweepsDeadWritersTemps: a temporary file of a process that no
// longer exists is removed by the next write to the same target; one of a
// live process, or of another target, is kept.
func TestWriteSweepsDeadWritersTemps(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names := map[string]bool{ // name: should survive
		fmt.Sprintf(".out.txt.tmp-%d-0badf00d", dead.Process.Pid):   false,
		fmt.Sprintf(".out.txt.tmp-%d-0badf00d", os.Getppid()):       true,
		fmt.Sprintf(".other.txt.tmp-%d-0badf00d", dead.Process.Pid): true,
		fmt.Sprintf(".out.txt.tmp-%d", dead.Process.Pid):            true,
	}
	for name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteBytes(filepath.Join(dir, "out.txt"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	for name, keep := range names {
		_, err := os.Stat(filepath.Join(dir, name))
		if exists := err == nil; exists != keep {
			t.Errorf("%s: exists %v, want %v", name, exists, keep)
		}
	}
}

// TestWriteContextCancel: cancelling removes the temporary file at once,
// while fill still runs, and leaves the target as it was.
func TestWriteContextCancel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := WriteContext(ctx, path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		cancel()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if entries, _ := os.ReadDir(dir); len(entries) == 1 {
				return nil
			}
		}
		return errors.New("temporary file not removed within 5s of the cancel")
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("WriteContext = %v, want context.Canceled", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("target holds %q, want it untouched", got)
	}
}
