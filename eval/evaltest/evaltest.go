// Package evaltest trains tiny VAEs for tests that need a trained model
// before, or without, latent's training loop.
package evaltest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
)

// Backend opens the XLA CPU backend for a test. When it cannot be opened the
// test is skipped, unless $CI is "true", where that is a failure.
func Backend(t testing.TB) *backend.Backend { return testenv.XLA(t) }

// TinyConfig is a small model for 28×28 grey images: two convolutions of 8
// and 16 channels and a 4-dimensional latent.
func TinyConfig() models.Config {
	cfg := models.DefaultConfig()
	cfg.Widths = []int{8, 16}
	cfg.Latent = 4
	return cfg
}

// Train trains a fresh model cfg for steps steps of Adam (learning rate
// 1e-3) on random batches of batch images drawn from images (NHWC, n of
// them back to back), minimising the negative ELBO, and returns the context
// holding its variables and the last batch's loss.
func Train(b *backend.Backend, cfg models.Config, images []float32, steps, batch int, seed int64) (*context.Context, float64, error) {
	size := cfg.Height * cfg.Width * cfg.Channels
	n := len(images) / size
	if n == 0 || len(images)%size != 0 {
		return nil, 0, fmt.Errorf("%d values are not a whole number of %dx%dx%d images", len(images), cfg.Height, cfg.Width, cfg.Channels)
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, 0, err
	}
	opt := optimizers.Adam().LearningRate(1e-3).Done()
	exec, err := context.NewExec(b, ctx, func(ctx *context.Context, x *Node) *Node {
		mean, logVar := models.Encode(ctx, cfg, x)
		out := models.Decode(ctx, cfg, models.Sample(ctx, mean, logVar))
		loss := ReduceAllMean(Add(models.ReconNLL(ctx, cfg, x, out), models.KL(mean, logVar)))
		opt.UpdateGraph(ctx, x.Graph(), loss)
		return loss
	})
	if err != nil {
		return nil, 0, err
	}
	defer exec.Finalize()
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	buf := make([]float32, batch*size)
	var loss float64
	for range steps {
		for i := range batch {
			j := rng.IntN(n)
			copy(buf[i*size:(i+1)*size], images[j*size:(j+1)*size])
		}
		x := tensors.FromFlatDataAndDimensions(buf, batch, cfg.Height, cfg.Width, cfg.Channels)
		outs, err := exec.Exec(x)
		x.FinalizeAll()
		if err != nil {
			return nil, 0, fmt.Errorf("training step: %w", err)
		}
		loss = float64(tensors.ToScalar[float32](outs[0]))
		outs[0].FinalizeAll()
	}
	return ctx, loss, nil
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
