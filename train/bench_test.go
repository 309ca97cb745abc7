package train

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// BenchmarkTrainStep times one Adam step of batch 128 on real MNIST on XLA
// CPU, after a compiling first step, for the default model, the benchmark
// model without the hidden layer (the one bench/ compares with PyTorch),
// and the family's other models and objectives as docs/numbers.md's table
// trains them. Run: go test -run '^$' -bench TrainStep ./train
func BenchmarkTrainStep(b *testing.B) {
	set := testenv.MNIST(b)
	for _, tc := range []struct {
		name   string
		modify func(c *rundir.Config)
	}{
		{"default", func(c *rundir.Config) {}},
		{"hidden0", func(c *rundir.Config) { c.Model.Hidden = 0 }},
		{"resnet", func(c *rundir.Config) { c.Model.Model, c.Model.Blocks, c.Model.Latent = models.ResNet, 1, 32 }},
		{"resnet-iw5-ema", func(c *rundir.Config) {
			c.Model.Model, c.Model.Blocks, c.Model.Latent = models.ResNet, 1, 32
			c.Objective = rundir.Objective{IWTrain: 5, EMA: 0.999}
		}},
		{"ladder2", func(c *rundir.Config) {
			c.Model.Model, c.Model.Blocks, c.Model.Groups, c.Model.Latent = models.Ladder, 1, 2, 32
			c.Objective = rundir.Objective{FreeBits: 0.05, EMA: 0.999}
		}},
		{"pixel32-ema", func(c *rundir.Config) {
			c.Model.Latent, c.Model.PixelWidth, c.Model.PixelKernel = 32, 32, models.DefaultPixelKernel
			c.Objective = rundir.Objective{EMA: 0.999}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := rundir.DefaultConfig()
			tc.modify(&cfg)
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
			if _, err := sess.Step(batcher.Batch(0).Images, nil, 0); err != nil { // compiles
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				step := int64(i + 1)
				if _, err := sess.Step(batcher.Batch(step).Images, nil, step); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*cfg.BatchSize)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
