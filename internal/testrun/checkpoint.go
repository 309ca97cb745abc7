package testrun

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
)

// AddVariable saves, in dir, a checkpoint one step after its newest: the
// same config and variables, and one more, name under the absolute scope
// scope, holding value. It returns the new file. Tests make with it a file
// as an earlier latent wrote it (a transformer prior with the attention
// layer latent no longer builds: see OldAttentionScope).
func AddVariable(t testing.TB, dir, scope, name string, value []float32) string {
	t.Helper()
	ck, _, err := checkpoints.Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := ck.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	ctx.InAbsPath(scope).VariableWithValue(name, value)
	path, err := checkpoints.Save(dir, ck.Step+1, ck.Config, ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// OldAttentionScope is a scope of a transformer prior fitted by an
// earlier latent: layers.MultiHeadAttention's, which latent no longer
// builds, so that a prior holding a variable under it cannot be opened.
const OldAttentionScope = "/transformer/block0/attention/MultiHeadAttention/query/dense"
