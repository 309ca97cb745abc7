//go:build unix

package data

import (
	"image/color"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/latent-vae/latent/internal/timeout"
)

// symlink makes a symbolic link at dir/name pointing to target.
func symlink(t *testing.T, target, dir, name string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFolderSymlinks(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	png := encodeImage(t, ".png", 4, 4, white)
	tests := []struct {
		name    string
		link    func(root, elsewhere string) // adds links to a folder holding cat/a.png and dog/b.png
		classes []string
		n       int // images loaded
		skipped int
	}{
		{"no links", func(root, elsewhere string) {}, []string{"cat", "dog"}, 2, 0},
		{"linked class folder", func(root, elsewhere string) {
			writeFile(t, elsewhere, "birds/c.png", png)
			symlink(t, filepath.Join(elsewhere, "birds"), root, "bird")
		}, []string{"bird", "cat", "dog"}, 3, 0},
		{"linked image", func(root, elsewhere string) {
			writeFile(t, elsewhere, "c.png", png)
			symlink(t, filepath.Join(elsewhere, "c.png"), root, "cat/c.png")
		}, []string{"cat", "dog"}, 3, 0},
		{"loop to the root", func(root, elsewhere string) {
			symlink(t, root, root, "cat/again")
		}, []string{"cat", "dog"}, 2, 0},
		{"relative loop to its own folder", func(root, elsewhere string) {
			symlink(t, ".", root, "dog/self")
			symlink(t, "../dog", root, "dog/up")
		}, []string{"cat", "dog"}, 2, 0},
		{"loop between two outside folders", func(root, elsewhere string) {
			x, y := filepath.Join(elsewhere, "x"), filepath.Join(elsewhere, "y")
			writeFile(t, x, "d.png", png)
			writeFile(t, y, "e.png", png)
			symlink(t, y, x, "to-y")
			symlink(t, x, y, "to-x")
			symlink(t, x, root, "x")
		}, []string{"cat", "dog", "x"}, 4, 0},
		{"link to itself", func(root, elsewhere string) {
			symlink(t, "loop", root, "cat/loop")
		}, []string{"cat", "dog"}, 2, 1},
		{"broken link", func(root, elsewhere string) {
			symlink(t, "no-such-file", root, "dog/notes.txt")
		}, []string{"cat", "dog"}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, elsewhere := t.TempDir(), t.TempDir()
			writeFile(t, root, "cat/a.png", png)
			writeFile(t, root, "dog/b.png", png)
			tt.link(root, elsewhere)
			symlink(t, root, elsewhere, "data")
			// The data folder given directly and through a link.
			for _, dir := range []string{root, filepath.Join(elsewhere, "data")} {
				var set *Set
				var err error
				timeout.Within(t, 5*time.Second, func() { set, err = Load(dir, Options{}) })
				if err != nil {
					t.Fatal(err)
				}
				if n := set.Train.N + set.Test.N; n != tt.n || set.Skipped != tt.skipped || !slices.Equal(set.Classes, tt.classes) {
					t.Errorf("%s: %d images of classes %q, %d skipped; want %d of %q, %d skipped",
						dir, n, set.Classes, set.Skipped, tt.n, tt.classes, tt.skipped)
				}
			}
		})
	}
}

func TestLoadFolderSkipsSpecialFiles(t *testing.T) {
	root := t.TempDir()
	white := color.RGBA{255, 255, 255, 255}
	writeFile(t, root, "cat/a.png", encodeImage(t, ".png", 4, 4, white))
	writeFile(t, root, "dog/b.png", encodeImage(t, ".png", 4, 4, white))
	fifo := filepath.Join(root, "cat", "pipe.png")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Should the pipe be opened for reading, open it for writing too so
	// that the blocked reader returns once the test has failed.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	sock, err := net.Listen("unix", filepath.Join(root, "dog", "socket.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	symlink(t, "/dev/null", root, "dog/device.png")

	var set *Set
	timeout.Within(t, 5*time.Second, func() { set, err = Load(root, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	if n := set.Train.N + set.Test.N; n != 2 || set.Skipped != 3 {
		t.Errorf("%d images, %d skipped; want 2 images and the pipe, socket and device skipped", n, set.Skipped)
	}
	timeout.Within(t, 5*time.Second, func() { _, err = ReadImageFile(fifo, 4, 4, 1) })
	wantErr(t, err, fifo, "not a regular file")
}
