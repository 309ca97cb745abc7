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
// the head's probability given the code's features and the pixels drawn
// before it (on where the probability exceeds the position's draw),
// recomputed here for every pixel at once.
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

	var images [][]float32
	var draws []float32
	for _, batch := range []int{3, 8} {
		dec, err := NewDecoder(b, ctx, cfg, batch)
		if err != nil {
			t.Fatal(err)
		}
		img, err := dec.Decode(z, nil)
		if err != nil {
			t.Fatal(err)
		}
		images, draws = append(images, img), dec.pixel.draws
		dec.Finalize()
	}
	if d := maxAbsDiff(images[0], images[1]); d > 1e-6 {
		t.Errorf("decoding in batches of 3 and of 8 differs by %g", d)
	}

	img := images[0]
	drawn := make([]float32, len(img))
	for i, p := range img {
		if p > draws[i%hw] {
			drawn[i] = 1
		}
	}
	windows := make([]float32, n*hw*k*k)
	for i := range n * hw {
		p := i % hw
		cfg.PixelWindow(drawn[i-p:i-p+hw], p/cfg.Width, p%cfg.Width, windows[i*k*k:(i+1)*k*k])
	}
	step := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, feat, window *Node) *Node {
		return models.PixelStep(ctx, cfg, feat, window)
	})
	want := tensors.MustCopyFlatData[float32](step.MustExec(tensors.FromFlatDataAndDimensions(feats, n*hw, f),
		tensors.FromFlatDataAndDimensions(windows, n*hw, k, k, 1))[0])
	if d := maxAbsDiff(img, want); d > 1e-5 {
		t.Errorf("generated pixels differ from the head's probabilities given the pixels drawn before them by %g", d)
	}
	on := 0
	for _, v := range drawn {
		on += int(v)
	}
	if on == 0 || on == len(drawn) {
		t.Errorf("%d of %d pixels drawn on: the check needs both values", on, len(drawn))
	}
}
