package main

import (
	"io"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// TestPixelRunGeneratesAsTrained: the commands decode a run with a pixel
// head as it was trained: a grey run's next pixels read each generated
// pixel's probability, a binarized run's read it drawn 0 or 1. The same
// weights therefore decode differently under the two configs.
func TestPixelRunGeneratesAsTrained(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	cfg, err := rundir.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Model.PixelWidth, cfg.Model.PixelKernel = 4, 3
	z := generate.RandomLatents(3, cfg.Model.Latent, 1, 1)
	var decoded [2][]float32
	for i, binarize := range []bool{false, true} {
		cfg.Data.Binarize = binarize
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(1); err != nil {
			t.Fatal(err)
		}
		if err := models.CreateVariables(genSkipWithoutXLA(t), ctx, cfg.Model); err != nil {
			t.Fatal(err)
		}
		if err := rundir.WriteConfig(runDir, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := checkpoints.Save(runDir, int64(1+i), cfg, ctx, 3); err != nil {
			t.Fatal(err)
		}
		s, err := vae.Open(runDir, "xla:cpu", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Decode(z, nil)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := generate.NewDecoder(s.Backend, s.Run.Ctx, s.Model, 3)
		if err != nil {
			t.Fatal(err)
		}
		dec.GreyPixels = !binarize
		want, err := dec.Decode(z, nil)
		dec.Finalize()
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(got, want); !(d <= 1e-6) {
			t.Errorf("binarize %v: the command's decoding differs from GreyPixels=%v by %g", binarize, !binarize, d)
		}
		decoded[i] = got
	}
	if d := maxDiff(decoded[0], decoded[1]); !(d >= 1e-4) {
		t.Errorf("a grey and a binarized run with the same weights decode alike (differ by %g)", d)
	}
}

// maxDiff is the largest absolute difference of a and b, of equal length.
func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
