package main

import (
	"bytes"
	"fmt"
	"image/color"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
)

// readNPYUint8 reads a .npy file `latent sample` wrote: it checks the
// header (format 1.0, uint8, C order, data at a multiple of 64 bytes) and
// returns the shape it states and the bytes after it.
func readNPYUint8(t *testing.T, path string) (shape string, pixels []byte) {
	t.Helper()
	raw := mustRead(t, path)
	if len(raw) < 10 || string(raw[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("%s: not a version 1.0 .npy file", path)
	}
	hlen := int(raw[8]) | int(raw[9])<<8
	if 10+hlen > len(raw) || (10+hlen)%64 != 0 {
		t.Fatalf("%s: header of %d bytes, want the data at a multiple of 64", path, hlen)
	}
	header := string(raw[10 : 10+hlen])
	start, end := strings.Index(header, "'shape': ("), strings.Index(header, ",), }")
	if !strings.Contains(header, "'descr': '|u1'") || !strings.Contains(header, "'fortran_order': False") || start < 0 || end < start {
		t.Fatalf("%s: header %q, want uint8 in C order with a shape", path, header)
	}
	return header[start+len("'shape': (") : end], raw[10+hlen:]
}

// numpyLoads checks that numpy reads path as a uint8 array of shape.
func numpyLoads(t *testing.T, path, shape string) {
	t.Helper()
	python := testenv.PythonNumpy(t)
	check := fmt.Sprintf("import numpy as np; a = np.load(%q); assert a.shape == (%s,) and a.dtype == np.uint8, (a.shape, a.dtype)", path, shape)
	testenv.RunPython(t, python, nil, "-c", check)
}

// TestSampleNPYRGB: an RGB run's `latent sample -o FILE.npy` is a uint8
// [N, H, W, 3] array whose pixels, channel by channel, are the PNG grid's
// (so the channels are interleaved per pixel, as numpy's NHWC reads them).
func TestSampleNPYRGB(t *testing.T) {
	runDir, _ := genTestRun(t, 3)
	out := t.TempDir()
	arr, grid := filepath.Join(out, "s.npy"), filepath.Join(out, "s.png")
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--seed", "5", "-o", arr)
	genMustRun(t, "sample", "--run", runDir, "-n", "4", "--seed", "5", "--scale", "1", "-o", grid)
	shape, pixels := readNPYUint8(t, arr)
	if shape != "4, 8, 8, 3" || len(pixels) != 4*genSide*genSide*3 {
		t.Fatalf("shape (%s), %d bytes; want (4, 8, 8, 3) and %d bytes", shape, len(pixels), 4*genSide*genSide*3)
	}
	img := readPNG(t, grid)
	// unequal counts pixels whose channels differ: without them a channel
	// mix-up would pass. The grid is 2×2 with 1-pixel separators.
	unequal := 0
	for i := range 4 {
		x0, y0 := (i%2)*(genSide+1), (i/2)*(genSide+1)
		for y := range genSide {
			for x := range genSide {
				c := color.RGBAModel.Convert(img.At(x0+x, y0+y)).(color.RGBA)
				at := ((i*genSide+y)*genSide + x) * 3
				got := pixels[at : at+3]
				if want := []byte{c.R, c.G, c.B}; !bytes.Equal(got, want) {
					t.Fatalf("sample %d pixel (%d,%d): %v in the .npy, %v in the PNG", i, x, y, got, want)
				}
				if got[0] != got[1] || got[1] != got[2] {
					unequal++
				}
			}
		}
	}
	if unequal == 0 {
		t.Error("every pixel has three equal channels: the test cannot tell the channels apart")
	}
	numpyLoads(t, arr, shape)
}

// TestSampleNPYConditional: a conditional run's `latent sample -o
// FILE.npy` draws its samples of the classes in turn (sample i of class
// i mod 3): each is the sample of the same seed drawn with --label i mod 3.
// The classes decode differently, so a file of one class fails.
func TestSampleNPYConditional(t *testing.T) {
	const classes, n = 3, 6
	runDir, _ := genTestRunOf(t, 1, classes, func(c *models.Config) { c.Classes = classes })
	out := t.TempDir()
	size := genSide * genSide
	sample := func(name string, extra ...string) []byte {
		t.Helper()
		path := filepath.Join(out, name+".npy")
		genMustRun(t, append([]string{"sample", "--run", runDir, "-n", strconv.Itoa(n), "--seed", "4", "-o", path}, extra...)...)
		shape, pixels := readNPYUint8(t, path)
		if shape != fmt.Sprintf("%d, 8, 8, 1", n) || len(pixels) != n*size {
			t.Fatalf("%s: shape (%s), %d bytes; want (%d, 8, 8, 1)", name, shape, len(pixels), n)
		}
		return pixels
	}
	turns := sample("turns")
	byClass := make([][]byte, classes)
	for c := range classes {
		byClass[c] = sample(fmt.Sprint("class", c), "--label", strconv.Itoa(c))
	}
	for i := range n {
		img := turns[i*size : (i+1)*size]
		for c := range classes {
			same := bytes.Equal(img, byClass[c][i*size:(i+1)*size])
			if same != (c == i%classes) {
				t.Errorf("sample %d: equal to the --label %d sample %v, want %v (the classes in turn)", i, c, same, c == i%classes)
			}
		}
	}
	numpyLoads(t, filepath.Join(out, "turns.npy"), fmt.Sprintf("%d, 8, 8, 1", n))
}
