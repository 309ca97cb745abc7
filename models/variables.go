package models

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// CreateVariables creates, in ctx, every variable of the model cfg with its
// initial value (drawn from ctx's RNG, as a first training step would), by
// running the networks once on a blank image without sampling noise.
func CreateVariables(b backends.Backend, ctx *context.Context, cfg Config) error {
	exec, err := context.NewExec(b, ctx.Checked(false), func(ctx *context.Context, x, labels *Node) *Node {
		if cfg.Quantizer == QuantizerVQ {
			vqOf(cfg).ClusterSizeVar(ctx, x.DType()) // the codebook's state, which training's updates read
		}
		mean, logVar := Encode(ctx, cfg, x, labels)
		out := Decode(ctx, cfg, Add(mean, logVar), labels)
		if cfg.Autoregressive() {
			out = pixelHead(ctx, cfg, out, x, true)
		}
		return ReduceAllSum(ReconNLL(ctx, cfg, x, out))
	})
	if err != nil {
		return fmt.Errorf("building the model: %w", err)
	}
	defer exec.Finalize()
	outs, err := exec.Exec(tensors.FromShape(cfg.ImageShape(1)), []int32{0})
	if err != nil {
		return fmt.Errorf("creating the model's variables: %w", err)
	}
	for _, t := range outs {
		t.FinalizeAll()
	}
	return nil
}
