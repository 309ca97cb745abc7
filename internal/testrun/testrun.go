// Package testrun trains tiny models for tests, with latent's own training
// step, so that tests of evaluation and generation have a trained model.
package testrun

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/train"
)

// TinyConfig is a small model for 28×28 grey images: two convolutions of 8
// and 16 channels and a 4-dimensional latent.
func TinyConfig() models.Config {
	cfg := models.DefaultConfig()
	cfg.Widths = []int{8, 16}
	cfg.Latent = 4
	return cfg
}

// Train trains a fresh model m for steps steps of train.Session (Adam,
// learning rate 1e-3) on random batches of batch images drawn from images
// (NHWC, n of them back to back), and returns the context holding its
// variables and the last batch's negative ELBO.
func Train(tb testing.TB, b *backend.Backend, m models.Config, images []float32, steps, batch int, seed int64) (*context.Context, float64) {
	tb.Helper()
	size := m.Height * m.Width * m.Channels
	n := len(images) / size
	if n == 0 || len(images)%size != 0 {
		tb.Fatalf("%d values are not a whole number of %dx%dx%d images", len(images), m.Height, m.Width, m.Channels)
	}
	cfg := rundir.DefaultConfig()
	cfg.Model, cfg.BatchSize, cfg.Seed = m, batch, seed
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		tb.Fatal(err)
	}
	sess, err := train.NewSession(b, cfg, ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer sess.Finalize()
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	buf := make([]float32, batch*size)
	var loss float64
	for step := range steps {
		for i := range batch {
			j := rng.IntN(n)
			copy(buf[i*size:(i+1)*size], images[j*size:(j+1)*size])
		}
		l, err := sess.Step(buf, nil, int64(step))
		if err != nil {
			tb.Fatal(fmt.Errorf("training a test model: %w", err))
		}
		loss = l.NegELBO
	}
	return ctx, loss
}

// Bytes returns n varied bytes, a different sequence for each salt (an
// xorshift generator): pixels of noise images for tests' IDX files.
func Bytes(n int, salt uint32) []byte {
	p := make([]byte, n)
	x := salt*2654435761 + 1
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x >> 24)
	}
	return p
}

// WriteIDX writes data as an unsigned-byte IDX file of dims at path.
func WriteIDX(t testing.TB, path string, data []byte, dims ...int) {
	t.Helper()
	var buf bytes.Buffer
	buf.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&buf, binary.BigEndian, uint32(d))
	}
	buf.Write(data)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
