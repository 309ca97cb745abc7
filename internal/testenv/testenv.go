// Package testenv gives tests the XLA CPU backend and the real MNIST files.
// Where they are missing a test is skipped with the reason, except with
// CI=true, where the project's set-up must have installed them and a missing
// one is a failure.
package testenv

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
)

// Missing skips tb with the reason, or fails it when $CI is "true".
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (required with CI=true; `make setup` installs it, `latent setup` the XLA plugin)", msg)
	}
	tb.Skipf("%s; run `make setup` (or `latent setup` for the XLA plugin)", msg)
}

// XLA opens the XLA CPU backend for the test and finalizes it afterwards.
func XLA(tb testing.TB) *backend.Backend {
	tb.Helper()
	b, err := backend.Open("xla:cpu", io.Discard)
	if err != nil {
		Missing(tb, "XLA CPU backend unavailable: %v", err)
	}
	tb.Cleanup(b.Finalize)
	return b
}

// XLADevices opens the XLA CPU backend with devices host devices, for tests
// of data-parallel training, and finalizes it afterwards.
func XLADevices(tb testing.TB, devices int) *backend.Backend {
	tb.Helper()
	b, err := backend.OpenDevices("xla:cpu", devices, io.Discard)
	if err != nil {
		Missing(tb, "XLA CPU backend with %d devices unavailable: %v", devices, err)
	}
	tb.Cleanup(b.Finalize)
	return b
}

// MNIST loads the real MNIST set.
func MNIST(tb testing.TB) *data.Set {
	tb.Helper()
	set, err := data.Load(data.MNIST, data.Options{})
	if err != nil {
		Missing(tb, "MNIST unavailable: %v", err)
	}
	return set
}

// Blobs returns n synthetic 28×28 grey images: each a bright square of
// random size at a random place, so a model has something to learn.
func Blobs(n int, seed int64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	images := make([]float32, n*28*28)
	for k := range n {
		s := 6 + rng.IntN(10)
		y0, x0 := rng.IntN(28-s), rng.IntN(28-s)
		for y := y0; y < y0+s; y++ {
			for x := x0; x < x0+s; x++ {
				images[k*784+y*28+x] = 1
			}
		}
	}
	return images
}

// DarkPixels counts the pixels of r in img darker than mid grey: the text
// of a label drawn on a light band.
func DarkPixels(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 100 {
				n++
			}
		}
	}
	return n
}

// PythonNumpy returns $LATENT_PYTHON (make test's .cache/pyvenv) or
// python3, if it imports numpy; otherwise the test is skipped (failed with
// CI=true).
func PythonNumpy(tb testing.TB) string {
	tb.Helper()
	python := os.Getenv("LATENT_PYTHON")
	if python == "" {
		python = "python3"
	}
	if msg, err := exec.Command(python, "-c", "import numpy").CombinedOutput(); err != nil {
		Missing(tb, "python with numpy unavailable (%s: %v %s; make test sets LATENT_PYTHON to its .cache/pyvenv)",
			python, err, strings.TrimSpace(string(msg)))
	}
	return python
}
