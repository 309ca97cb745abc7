package main

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDataErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(filepath.Join(bad, "cls"), 0o755); err != nil {
		t.Fatal(err)
	}
	badPNG := filepath.Join(bad, "cls", "x.png")
	if err := os.WriteFile(badPNG, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"corrupt image", []string{"data", "--data", bad}, 1, []string{"latent data: ", badPNG, "decoding", "--skip-bad skips corrupt images"}},
		{"empty folder", []string{"data", "--data", empty}, 1, []string{empty, "no PNG, JPEG or GIF images"}},
		{"missing folder", []string{"data", "--data", filepath.Join(dir, "nope")}, 1, []string{filepath.Join(dir, "nope"), "no such folder"}},
		{"bad channels", []string{"data", "--data", bad, "--channels", "2"}, 1, []string{"channels must be 1 or 3"}},
		{"unknown flag", []string{"data", "--frobnicate"}, 2, []string{"flag provided but not defined: --frobnicate", "latent data --help"}},
		{"help", []string{"data", "--help"}, 0, []string{"Usage: latent data", "-image-size"}},
		{"fetch without a name", []string{"data", "fetch"}, 2, []string{"fetch wants a data set name"}},
		{"fetch emnist", []string{"data", "fetch", "emnist-digits", "--dir", dir}, 1, []string{"gzip.zip", "emnist-digits-mapping.txt", dir}},
		{"fetch help", []string{"data", "fetch", "--help"}, 0, []string{"Usage: latent data fetch", "-base-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, &out, &errb)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, errb.String())
			}
			where, text := "stderr", errb.String()
			if tt.code == 0 { // help goes to stdout
				where, text = "stdout", out.String()
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s does not mention %q:\n%s", where, w, text)
				}
			}
		})
	}
}

func TestDataMNIST(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	mnist := filepath.Join(home, ".local", "share", "latent", "mnist")
	if d := os.Getenv("LATENT_DATA"); d != "" {
		mnist = filepath.Join(d, "mnist")
	}
	if _, err := os.Stat(filepath.Join(mnist, "train-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MNIST missing (CI=true): %v", err)
		}
		t.Skipf("MNIST missing: %v", err)
	}
	grid := filepath.Join(t.TempDir(), "first64.png")
	var out, errb bytes.Buffer
	if code := run([]string{"data", "--data", "mnist", "--data-dir", mnist, "-o", grid}, &out, &errb); code != 0 {
		t.Fatalf("exit code %d: %s", code, errb.String())
	}
	for _, want := range []string{
		"train:      60000 images",
		"test:       10000 images",
		"shape:      28x28x1",
		"mean 0.1307, std 0.3081",
		"     0  0                  5923      980",
		"     9  9                  5949     1009",
		"wrote " + grid,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not contain %q:\n%s", want, out.String())
		}
	}
	img := readPNG(t, grid)
	if want := image.Rect(0, 0, 8*84+7, 8*84+7); img.Bounds() != want {
		t.Errorf("grid is %v, want %v", img.Bounds(), want)
	}
}

// TestDataAndTrainSplitAFolderAlike: `latent data` and `latent train` bind
// the same data flags, so given the same folder they hold out the same
// test images (they once split with different seeds).
func TestDataAndTrainSplitAFolderAlike(t *testing.T) {
	dir := t.TempDir()
	for i := range 40 {
		img := image.NewGray(image.Rect(0, 0, 4, 4))
		for p := range img.Pix {
			img.Pix[p] = uint8(i*5 + p)
		}
		writePNGFile(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), img)
	}
	dataFS := testFlagSet()
	d, _ := dataFlags(dataFS)
	trainFS, a := trainFlagSet(io.Discard)
	if err := dataFS.Parse([]string{"--data", dir}); err != nil {
		t.Fatal(err)
	}
	if err := trainFS.Parse([]string{"--data", dir, "--out", filepath.Join(dir, "run")}); err != nil {
		t.Fatal(err)
	}
	fromData, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	fromTrain, err := a.cfg.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	if fromData.Test.N != 4 || !slices.Equal(fromData.Test.Pixels, fromTrain.Test.Pixels) {
		t.Errorf("latent data holds out %d test images, latent train %d, and they differ", fromData.Test.N, fromTrain.Test.N)
	}
}
