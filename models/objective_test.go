package models

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// TestIWBoundWithOneSampleIsTheELBO: on the same noise, the importance-
// weighted bound with K = 1 is the single-sample ELBO, image by image:
// −Recon − (log q(z|x) − log p(z)), the KL estimated at the drawn z (the
// analytic KL is its expectation).
func TestIWBoundWithOneSampleIsTheELBO(t *testing.T) {
	b := testenv.XLA(t)
	cfg := Config{Height: 8, Width: 8, Channels: 1, Latent: 3, Widths: []int{4}, Hidden: 5, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
	ctx := context.New()
	if err := CreateVariables(b, ctx, cfg); err != nil {
		t.Fatal(err)
	}
	exec := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, x *Node) (*Node, *Node) {
		seed := Const(x.Graph(), mustRNG(t, 7))
		bound := IWBound(IWLogWeights(ctx, cfg, x, 1, StateNoise(seed)))
		mean, logVar := Encode(ctx, cfg, x)
		_, eps := RandomNormal(seed, shapes.Make(mean.DType(), 4, 1, cfg.Latent))
		eps = Reshape(eps, 4, cfg.Latent)
		z := Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
		recon := ReconNLL(ctx, cfg, x, Decode(ctx, cfg, z))
		logQ := MulScalar(ReduceSum(Add(Square(eps), logVar), -1), -0.5) // without the log 2π terms,
		logP := MulScalar(ReduceSum(Square(z), -1), -0.5)                // which cancel
		return Add(recon, Sub(logQ, logP)), bound
	})
	x := make([]float32, 4*64)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, 4, 8, 8, 1))
	negELBO, bound := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for i := range negELBO {
		if math.Abs(float64(negELBO[i]+bound[i])) > 1e-3*(1+math.Abs(float64(negELBO[i]))) {
			t.Errorf("image %d: negative ELBO %v, IW bound (K=1) %v: want their sum 0", i, negELBO[i], bound[i])
		}
	}
}

func mustRNG(t *testing.T, seed int64) *tensors.Tensor {
	rng, err := RNGStateFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return rng
}
