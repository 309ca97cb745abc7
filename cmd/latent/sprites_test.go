package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataFactors: `latent data` on a folder with a factors.csv lists
// each image's factors, and refuses a bad file naming its line and
// column; --data sprites refuses a resize before generating anything.
func TestDataFactors(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.png", "b.png", "c.png"} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	csvPath := filepath.Join(dir, "factors.csv")
	write := func(text string) {
		if err := os.WriteFile(csvPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("file,tilt,size\na.png,0,2\nb.png,1,0\nc.png,3,1\n")
	var out, errb bytes.Buffer
	if code := run([]string{"data", "--data", dir, "--list"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "factors:    2: tilt (4 values), size (3 values)") ||
		!strings.Contains(out.String(), "file   tilt  size\n0      0      (top folder)  a.png  0     2\n") {
		t.Errorf("summary %q, list %q: want the factors tilt and size", errb.String(), out.String())
	}
	tests := []struct {
		name string
		args []string
		csv  string
		want []string
	}{
		{"non-integer", []string{"data", "--data", dir}, "file,tilt\na.png,0\nb.png,x\nc.png,1\n", []string{csvPath + ":3: column 2 (tilt)", `"x" is not an integer`}},
		{"sprites resized", []string{"data", "--data", "sprites", "--data-dir", filepath.Join(dir, "nowhere"), "--image-size", "32"}, "", []string{"image size 32: the sprites are 64x64"}},
	}
	for _, tt := range tests {
		write(tt.csv)
		out.Reset()
		errb.Reset()
		if code := run(tt.args, &out, &errb); code != 1 {
			t.Errorf("%s: exit %d, want 1: %s", tt.name, code, errb.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%s: stderr %q lacks %q", tt.name, errb.String(), w)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("a refused --data sprites made its cache folder")
	}
}
