package models

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// pixelConfig is a 6×5 one-channel model with a pixel head of window k,
// 16 units wide (so that a changed pixel reaching no logit through the
// ReLUs is implausible).
func pixelConfig(k int) Config {
	return Config{Height: 6, Width: 5, Channels: 1, Latent: 2, Widths: []int{4}, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1, PixelWidth: 16, PixelKernel: k}
}

// seededContext is a new context whose variables initialise from seed.
func seededContext(t *testing.T, seed int64) *context.Context {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// randomValues is n values uniform in [0, 1).
func randomValues(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = rng.Float32()
	}
	return out
}

// TestPixelHeadSeesOnlyEarlierPixels: changing pixel j of an image changes
// no logit of a pixel at or before j in raster order, and changes some
// logit after it unless j is the last pixel (its right neighbour, or the
// pixel below it, sees it).
func TestPixelHeadSeesOnlyEarlierPixels(t *testing.T) {
	b := testenv.XLA(t)
	for _, k := range []int{3, 5} {
		cfg := pixelConfig(k)
		hw := cfg.Height * cfg.Width
		rng := rand.New(rand.NewPCG(3, uint64(k)))
		img, feat := randomValues(rng, hw), randomValues(rng, hw*PixelFeatures)
		// Item 0 is the image; item j+1 is the image with pixel j flipped.
		n := hw + 1
		xs, feats := make([]float32, 0, n*hw), make([]float32, 0, n*len(feat))
		for i := range n {
			x := append([]float32(nil), img...)
			if i > 0 {
				x[i-1] = 1 - x[i-1]
			}
			xs, feats = append(xs, x...), append(feats, feat...)
		}
		ctx := seededContext(t, int64(k))
		exec := context.MustNewExec(b, ctx, func(ctx *context.Context, feat, x *Node) *Node {
			return pixelHead(ctx, cfg, feat, x, true)
		})
		out := exec.MustExec(tensors.FromFlatDataAndDimensions(feats, n, cfg.Height, cfg.Width, PixelFeatures),
			tensors.FromFlatDataAndDimensions(xs, n, cfg.Height, cfg.Width, 1))
		logits := tensors.MustCopyFlatData[float32](out[0])
		for j := range hw {
			changedLater := false
			for i := range hw {
				// Items of one batch may round differently: a flip that
				// reaches a logit moves it by far more than 1e-4.
				moved := math.Abs(float64(logits[(j+1)*hw+i]-logits[i])) > 1e-4
				if moved && i <= j {
					t.Errorf("k=%d: flipping pixel %d changed the logit of pixel %d", k, j, i)
				}
				changedLater = changedLater || (moved && i > j)
			}
			if !changedLater && j < hw-1 {
				t.Errorf("k=%d: flipping pixel %d changed no later pixel's logit", k, j)
			}
		}
	}
}

// TestPixelStepMatchesTheHead: PixelStep, given a pixel's features and the
// window PixelWindow cuts around it, gives the probability the head gives
// that pixel when it reads the whole image (how training scores it).
func TestPixelStepMatchesTheHead(t *testing.T) {
	b := testenv.XLA(t)
	for _, k := range []int{3, 7} { // 7: windows wider than the image
		cfg := pixelConfig(k)
		hw := cfg.Height * cfg.Width
		rng := rand.New(rand.NewPCG(4, uint64(k)))
		img, feat := randomValues(rng, hw), randomValues(rng, hw*PixelFeatures)
		ctx := seededContext(t, int64(k))
		whole := context.MustNewExec(b, ctx, func(ctx *context.Context, feat, x *Node) *Node {
			return Sigmoid(pixelHead(ctx, cfg, feat, x, true))
		})
		want := tensors.MustCopyFlatData[float32](whole.MustExec(
			tensors.FromFlatDataAndDimensions(feat, 1, cfg.Height, cfg.Width, PixelFeatures),
			tensors.FromFlatDataAndDimensions(img, 1, cfg.Height, cfg.Width, 1))[0])
		windows := make([]float32, hw*k*k)
		for i := range hw {
			cfg.PixelWindow(img, i/cfg.Width, i%cfg.Width, windows[i*k*k:(i+1)*k*k])
		}
		step := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, feat, window *Node) *Node {
			return PixelStep(ctx, cfg, feat, window)
		})
		got := tensors.MustCopyFlatData[float32](step.MustExec(tensors.FromFlatDataAndDimensions(feat, hw, PixelFeatures),
			tensors.FromFlatDataAndDimensions(windows, hw, k, k, 1))[0])
		for i := range hw {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Errorf("k=%d, pixel %d: PixelStep %g, the head on the whole image %g", k, i, got[i], want[i])
			}
		}
	}
}

func TestPixelWindow(t *testing.T) {
	cfg := pixelConfig(3)
	img := make([]float32, cfg.Height*cfg.Width)
	for i := range img {
		img[i] = float32(i + 1)
	}
	tests := []struct {
		r, c int
		want []float32
	}{
		{0, 0, []float32{0, 0, 0, 0, 1, 2, 0, 6, 7}},
		{2, 4, []float32{9, 10, 0, 14, 15, 0, 19, 20, 0}},
		{5, 2, []float32{22, 23, 24, 27, 28, 29, 0, 0, 0}},
	}
	for _, tc := range tests {
		got := make([]float32, 9)
		cfg.PixelWindow(img, tc.r, tc.c, got)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("window at (%d, %d) = %v, want %v", tc.r, tc.c, got, tc.want)
				break
			}
		}
	}
}
