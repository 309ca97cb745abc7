package rundir

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/models"
)

// TestOldLogisticCheckpointRefused: a discretised-logistic checkpoint
// without decoder/log_scale (saved when the decoder gave a scale per
// subpixel) is refused with one message naming the checkpoint, the missing
// variable and what to do; one with it, and other likelihoods without it,
// are accepted.
func TestOldLogisticCheckpointRefused(t *testing.T) {
	for _, tc := range []struct {
		name       string
		likelihood string
		scale      bool // the checkpoint holds decoder/log_scale
		wantErr    bool
	}{
		{"logistic with its per-channel scale", models.DiscreteLogistic, true, false},
		{"logistic without it (a scale per subpixel)", models.DiscreteLogistic, false, true},
		{"gaussian", models.Gaussian, false, false},
		{"bernoulli", models.Bernoulli, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := DefaultConfig()
			cfg.Model.Likelihood, cfg.Model.Channels = tc.likelihood, 3
			ctx := context.New()
			f32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
			ctx.In("decoder").In("conv0").In("conv").VariableWithValue("weights", tensors.FromShape(f32(3, 3, 32, 3)))
			if tc.scale {
				ctx.In("decoder").VariableWithValue("log_scale", tensors.FromShape(f32(3)))
			}
			if _, err := checkpoints.Save(dir, 1, cfg, ctx, 1); err != nil {
				t.Fatal(err)
			}
			ck, _, err := checkpoints.Latest(dir)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckCheckpoint(ck, cfg)
			if !tc.wantErr {
				if err != nil {
					t.Errorf("CheckCheckpoint: %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), ck.Path) || !strings.Contains(err.Error(), "decoder/log_scale") ||
				!strings.Contains(err.Error(), "train the run again") {
				t.Errorf("CheckCheckpoint: %v; want an error naming %s, decoder/log_scale and to train the run again", err, ck.Path)
			}
		})
	}
}
