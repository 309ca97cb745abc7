package main

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
)

// TestPythonDecoderPNG: the numpy decoder's -o grid.png is a PNG that Go
// reads, the grid latent draws of the same latents (each value within one
// level of 255, the decoders' float rounding apart), grey or RGB.
func TestPythonDecoderPNG(t *testing.T) {
	b := testenv.XLA(t)
	python := testenv.PythonNumpy(t)
	for _, channels := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d channels", channels), func(t *testing.T) {
			cfg := models.Config{Height: 8, Width: 8, Channels: channels, Latent: 3, Widths: []int{4, 8}, Hidden: 6,
				Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
			dir := t.TempDir()
			runDir := randomRun(t, b, cfg, filepath.Join(dir, "run"))
			model := filepath.Join(dir, "model.safetensors")
			if code, _, stderr := evLatent("export", "--run", runDir, "-o", model); code != 0 {
				t.Fatalf("latent export: exit %d: %s", code, stderr)
			}
			const n, scale = 7, 2
			z := generate.RandomLatents(n, cfg.Latent, 3, 2)
			latents, grid := filepath.Join(dir, "z.npy"), filepath.Join(dir, "grid.png")
			writeLatents(t, latents, z, cfg.Latent)
			testenv.RunPython(t, python, nil, pythonDecoder, model, latents, "-o", grid, "--scale", fmt.Sprint(scale))
			got := readPNG(t, grid)
			want := generate.Grid(decodeRun(t, b, runDir, z, nil), n, cfg.Height, cfg.Width, channels, 0, scale)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("python grid is %v, latent's %v", got.Bounds(), want.Bounds())
			}
			if _, grey := got.(*image.Gray); grey != (channels == 1) {
				t.Errorf("python grid of %d-channel images is %T", channels, got)
			}
			worst := 0
			for y := range want.Bounds().Dy() {
				for x := range want.Bounds().Dx() {
					g, w := color.RGBAModel.Convert(got.At(x, y)).(color.RGBA), color.RGBAModel.Convert(want.At(x, y)).(color.RGBA)
					for _, d := range []int{int(g.R) - int(w.R), int(g.G) - int(w.G), int(g.B) - int(w.B)} {
						worst = max(worst, d, -d)
					}
				}
			}
			if worst > 1 {
				t.Errorf("python grid differs from latent's by up to %d levels, want ≤ 1", worst)
			}
		})
	}
}
