package models

import (
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// TestCreateVariablesMakesTheWholeModel: CreateVariables creates every
// variable the training objective reads (fine-tuning with --init copies
// only those), with the same shapes, for each model of the family.
func TestCreateVariablesMakesTheWholeModel(t *testing.T) {
	b := testenv.XLA(t)
	base := Config{Height: 8, Width: 8, Channels: 1, Latent: 4, Widths: []int{4, 8}, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1, Hidden: 6}
	for _, tc := range []struct {
		name   string
		modify func(c *Config)
	}{
		{"conv", func(c *Config) {}},
		{"ladder", func(c *Config) { c.Model, c.Blocks, c.Groups = Ladder, 1, 2 }},
		{"conv with a pixel head", func(c *Config) { c.PixelWidth, c.PixelKernel = 3, 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.modify(&cfg)
			created := context.New()
			if err := CreateVariables(b, created, cfg); err != nil {
				t.Fatal(err)
			}
			trained := context.New()
			if err := trained.SetRNGStateFromSeed(1); err != nil {
				t.Fatal(err)
			}
			elbo := context.MustNewExec(b, trained.Checked(false), func(ctx *context.Context, x *Node) *Node {
				return ReduceAllSum(ELBO(ctx, cfg, x, nil, ContextNoise(ctx)).NegELBO())
			})
			elbo.MustExec(tensors.FromShape(cfg.ImageShape(2)))
			want, got := modelVariables(trained), modelVariables(created)
			for name, shape := range want {
				if g, ok := got[name]; !ok {
					t.Errorf("%s: not created", name)
				} else if g != shape {
					t.Errorf("%s: created %s, the objective's is %s", name, g, shape)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("%s: created but not in the objective", name)
				}
			}
		})
	}
}

// modelVariables maps the trainable variables of ctx, by scope and name,
// to their shapes.
func modelVariables(ctx *context.Context) map[string]string {
	out := map[string]string{}
	for v := range ctx.IterVariables() {
		if v.Trainable {
			out[v.Scope()+"/"+v.Name()] = v.Shape().String()
		}
	}
	return out
}
