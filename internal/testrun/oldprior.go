package testrun

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/prior"
)

// OldLayoutTransformer rewrites the transformer prior fitted to the run in
// runDir as an earlier latent saved it: a newer checkpoint with a variable
// under …/attention/MultiHeadAttention/, the layout of
// layers.MultiHeadAttention that latent no longer builds, so that this
// latent cannot open it (prior.Saved.Usable). It returns the new file.
func OldLayoutTransformer(t testing.TB, runDir string) string {
	t.Helper()
	saved, err := prior.Read(runDir, prior.KindTransformer)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := saved.Ckpt.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	ctx.InAbsPath("/transformer/block0/attention/MultiHeadAttention/query/dense").VariableWithValue("weights", []float32{1, 2})
	path, err := checkpoints.Save(prior.Dir(runDir, prior.KindTransformer), saved.Ckpt.Step+1, saved.Config, ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return path
}
