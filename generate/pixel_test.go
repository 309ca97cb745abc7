package generate

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/models"
)

// TestPixelDecoderGeneratesPixelByPixel: a model with a pixel head decodes
// the same images whatever the batch size, and each pixel of an image is
// the head's probability given the code's features and the pixels
// generated before it, recomputed here for every pixel at once. Those are
// drawn (on where the probability exceeds the position's draw), or with
// GreyPixels are the probabilities themselves.
func TestPixelDecoderGeneratesPixelByPixel(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	cfg.PixelWidth, cfg.PixelKernel = 4, 3
	hw, k, f := cfg.Height*cfg.Width, cfg.PixelKernel, models.PixelFeatures
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	features := context.MustNewExec(b, ctx.Checked(false), func(ctx *context.Context, x, z *Node) *Node {
		models.ELBO(ctx, cfg, x, nil, models.ContextNoise(ctx)) // creates every variable
		return models.Decode(ctx, cfg, z, nil)
	})
	const n = 7
	z := RandomLatents(n, cfg.Latent, 3, 1)
	feats := tensors.MustCopyFlatData[float32](features.MustExec(tensors.FromShape(cfg.ImageShape(n)),
		tensors.FromFlatDataAndDimensions(z, n, cfg.Latent))[0])
	step := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, feat, window *Node) *Node {
		return models.PixelStep(ctx, cfg, feat, window)
	})

	var byMode [][]float32
	for _, grey := range []bool{false, true} {
		var images [][]float32
		var draws []float32
		for _, batch := range []int{3, 8} {
			dec, err := NewDecoder(b, ctx, cfg, batch)
			if err != nil {
				t.Fatal(err)
			}
			dec.GreyPixels = grey
			img, err := dec.Decode(z, nil)
			if err != nil {
				t.Fatal(err)
			}
			images, draws = append(images, img), dec.pixel.draws
			dec.Finalize()
		}
		if d := maxAbsDiff(images[0], images[1]); d > 1e-6 {
			t.Errorf("grey %v: decoding in batches of 3 and of 8 differs by %g", grey, d)
		}
		img := images[0]
		byMode = append(byMode, img)
		read := img // what the next pixels read
		if !grey {
			read = make([]float32, len(img))
			on := 0
			for i, p := range img {
				if p > draws[i%hw] {
					read[i], on = 1, on+1
				}
			}
			if on == 0 || on == len(img) {
				t.Errorf("%d of %d pixels drawn on: the check needs both values", on, len(img))
			}
		}
		windows := make([]float32, n*hw*k*k)
		for i := range n * hw {
			p := i % hw
			cfg.PixelWindow(read[i-p:i-p+hw], p/cfg.Width, p%cfg.Width, windows[i*k*k:(i+1)*k*k])
		}
		want := tensors.MustCopyFlatData[float32](step.MustExec(tensors.FromFlatDataAndDimensions(feats, n*hw, f),
			tensors.FromFlatDataAndDimensions(windows, n*hw, k, k, 1))[0])
		if d := maxAbsDiff(img, want); d > 1e-5 {
			t.Errorf("grey %v: generated pixels differ from the head's probabilities given the pixels before them by %g", grey, d)
		}
	}
	if d := maxAbsDiff(byMode[0], byMode[1]); d < 1e-4 {
		t.Errorf("drawn and grey generation differ by only %g: GreyPixels changes nothing", d)
	}
}
