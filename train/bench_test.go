package train

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
)

// BenchmarkTrainStep times one Adam step of batch 128 on real MNIST on XLA
// CPU, after a compiling first step, for the default model and for the
// benchmark model without the hidden layer (the one bench/ compares with
// PyTorch). Run: go test -run '^$' -bench TrainStep ./train
func BenchmarkTrainStep(b *testing.B) {
	set := testenv.MNIST(b)
	for _, tc := range []struct {
		name   string
		hidden int
	}{{"default", rundir.DefaultConfig().Model.Hidden}, {"hidden0", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := rundir.DefaultConfig()
			cfg.Model.Hidden = tc.hidden
			ctx := context.New()
			if err := ctx.SetRNGStateFromSeed(1); err != nil {
				b.Fatal(err)
			}
			sess, err := NewSession(testenv.XLA(b), cfg, ctx)
			if err != nil {
				b.Fatal(err)
			}
			batcher, err := data.NewBatcher(set.Train, cfg.BatchSize, 1, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := sess.Step(batcher.Batch(0).Images, 0); err != nil { // compiles
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				step := int64(i + 1)
				if _, err := sess.Step(batcher.Batch(step).Images, step); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*cfg.BatchSize)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
