package generate

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
)

// testBackend opens XLA CPU, skipping the test when it is missing outside CI.
func testBackend(tb testing.TB) *backend.Backend { return testenv.XLA(tb) }

// tinyConfig is an 8×8 grey model with a 2-d latent.
func tinyConfig() models.Config {
	cfg := models.DefaultConfig()
	cfg.Height, cfg.Width, cfg.Widths, cfg.Latent = 8, 8, []int{4}, 2
	return cfg
}

// newModel returns a context holding cfg's randomly initialised variables
// and a reference function computing (means, images) for n images and n
// codes at once, in one batch.
func newModel(tb testing.TB, b *backend.Backend, cfg models.Config) (*context.Context, func(x, z []float32, n int) ([]float32, []float32)) {
	tb.Helper()
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	ref := context.MustNewExec(b, ctx, func(ctx *context.Context, x, z *Node) (*Node, *Node) {
		mean, _ := models.Encode(ctx, cfg, x, nil)
		return mean, models.MeanImage(cfg, models.Decode(ctx, cfg, z, nil))
	})
	run := func(x, z []float32, n int) ([]float32, []float32) {
		out := ref.MustExec(tensors.FromFlatDataAndDimensions(x, n, cfg.Height, cfg.Width, cfg.Channels),
			tensors.FromFlatDataAndDimensions(z, n, cfg.Latent))
		return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	}
	size := cfg.Height * cfg.Width * cfg.Channels
	run(make([]float32, size), make([]float32, cfg.Latent), 1) // creates the variables
	return ctx, run
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestDecoderAndEncoderMatchOneBatch(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	ctx, ref := newModel(t, b, cfg)
	const n = 7 // batches of 3: the last one padded
	size := cfg.Height * cfg.Width * cfg.Channels
	x := make([]float32, n*size)
	for i := range x {
		x[i] = float32(i%17) / 16
	}
	z := RandomLatents(n, cfg.Latent, 3, 1)
	wantMeans, wantImages := ref(x, z, n)

	dec, err := NewDecoder(b, ctx, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Finalize()
	enc, err := NewEncoder(b, ctx, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Finalize()
	for range 2 { // the same compiled graphs, reused
		images, err := dec.Decode(z, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(images) != n*size {
			t.Fatalf("Decode returned %d values, want %d", len(images), n*size)
		}
		if d := maxAbsDiff(images, wantImages); d > 1e-5 {
			t.Errorf("batched decoding differs from one batch by %g", d)
		}
		means, err := enc.Encode(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(means) != n*cfg.Latent {
			t.Fatalf("Encode returned %d values, want %d", len(means), n*cfg.Latent)
		}
		if d := maxAbsDiff(means, wantMeans); d > 1e-5 {
			t.Errorf("batched encoding differs from one batch by %g", d)
		}
	}
	if _, err := dec.Decode(make([]float32, cfg.Latent+1), nil); err == nil {
		t.Error("Decode accepted a partial code")
	}
	if _, err := NewDecoder(b, ctx, cfg, 0); err == nil {
		t.Error("NewDecoder accepted batch size 0")
	}
}

func TestDecoderNeedsTheModelsVariables(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	ctx, _ := newModel(t, b, cfg)
	other := cfg
	other.Latent = 3 // the checkpoint's dense layer takes 2
	if d, err := NewDecoder(b, ctx, other, 4); err == nil {
		d.Finalize()
		t.Error("NewDecoder compiled a model whose shapes do not match the variables")
	}
	if d, err := NewDecoder(b, context.New(), cfg, 4); err == nil {
		d.Finalize()
		t.Error("NewDecoder compiled a model without variables")
	}
}

func TestBatchFor(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 1}, {1, 1}, {63, 63}, {64, 64}, {1000, DefaultBatch}} {
		if got := BatchFor(tc.n); got != tc.want {
			t.Errorf("BatchFor(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

// BenchmarkSampleGrid64 times a 64-sample grid of the default MNIST model
// (randomly initialised): drawing the latents, decoding them and laying out
// the grid image (encoding it as PNG is left out: that is WritePNG's cost).
// The decoder is compiled before the timer starts.
func BenchmarkSampleGrid64(bm *testing.B) {
	b := testBackend(bm)
	cfg := models.DefaultConfig()
	ctx, _ := newModel(bm, b, cfg)
	dec, err := NewDecoder(b, ctx, cfg, 64)
	if err != nil {
		bm.Fatal(err)
	}
	defer dec.Finalize()
	seed := int64(0)
	for bm.Loop() {
		seed++
		images, err := dec.Decode(RandomLatents(64, cfg.Latent, seed, 1), nil)
		if err != nil {
			bm.Fatal(err)
		}
		if img := Grid(images, 64, cfg.Height, cfg.Width, cfg.Channels, 0, 3); img.Bounds().Dx() != 8*3*28+7 {
			bm.Fatalf("grid is %v wide, want 8 cells", img.Bounds())
		}
	}
}
