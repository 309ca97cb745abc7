package models

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// TestMLPShapesAndCode: the mlp model encodes [B, H, W, C] images to
// [B, Latent] means and log-variances and decodes codes to [B, H, W, C']
// parameters that depend on the code. (The decoder's arithmetic is checked
// against the numpy decoder by cmd/latent's TestExportMatchesPythonDecoder.)
func TestMLPShapesAndCode(t *testing.T) {
	b := testenv.XLA(t)
	cfg := Config{Model: MLP, Height: 6, Width: 5, Channels: 3, Latent: 4, Widths: []int{7, 9}, Hidden: 8, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: DiscreteLogistic, Beta: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	if err := CreateVariables(b, ctx, cfg); err != nil {
		t.Fatal(err)
	}
	img := make([]float32, 2*6*5*3)
	for i := range img {
		img[i] = float32(i%7) / 7
	}
	outs, err := context.ExecOnceN(b, ctx.Reuse(), func(ctx *context.Context, x *Node) []*Node {
		mean, logVar := Encode(ctx, cfg, x, nil)
		return []*Node{mean, logVar, Decode(ctx, cfg, mean, nil)}
	}, tensors.FromFlatDataAndDimensions(img, 2, 6, 5, 3))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]int{{2, 4}, {2, 4}, {2, 6, 5, cfg.DecoderChannels()}} {
		if got := outs[i].Shape().Dimensions; len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] || (len(want) == 4 && (got[1] != 6 || got[2] != 5)) {
			t.Fatalf("output %d of shape %v, want %v", i, got, want)
		}
	}
	v := tensors.MustCopyFlatData[float32](outs[2])
	half := len(v) / 2
	diff := 0.0
	for i := range half {
		diff = math.Max(diff, math.Abs(float64(v[i]-v[half+i])))
	}
	if !(diff > 1e-5) {
		t.Errorf("two images' codes decode to the same parameters (largest difference %g): the decoder ignores the code", diff)
	}
}
