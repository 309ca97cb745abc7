package models

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/internal/testenv"
)

// TestLogisticIsADistribution: for any location and scale, including a
// location beyond the edges and a scale below the floor, the probabilities
// of the 256 levels of a pixel sum to 1, and the mean image is the
// location mapped to [0, 1].
func TestLogisticIsADistribution(t *testing.T) {
	b := testenv.XLA(t)
	params := [][2]float64{{0, 0}, {0.3, -3}, {-0.9, -5}, {1.4, -2}, {0.01, -9}, {-0.2, 1}}
	x := make([]float64, 256)
	for i := range x {
		x[i] = float64(i) / 255
	}
	exec := MustNewExec(b, func(x, mu, logS *Node) (*Node, *Node) {
		cfg := Config{Likelihood: DiscreteLogistic, Channels: 1}
		return logisticLogProb(x, mu, logS), MeanImage(cfg, mu)
	})
	for _, p := range params {
		mu, logS := make([]float64, 256), make([]float64, 256)
		for i := range 256 {
			mu[i], logS[i] = p[0], p[1]
		}
		res := exec.MustExec(tensors.FromFlatDataAndDimensions(x, 1, 16, 16, 1),
			tensors.FromFlatDataAndDimensions(mu, 1, 16, 16, 1), tensors.FromFlatDataAndDimensions(logS, 1, 16, 16, 1))
		var sum float64
		for _, lp := range tensors.MustCopyFlatData[float64](res[0]) {
			sum += math.Exp(lp)
		}
		if !(math.Abs(sum-1) <= 1e-3) {
			t.Errorf("location %v, log-scale %v: probabilities of the 256 levels sum to %v, want 1", p[0], p[1], sum)
		}
		want := min(max((p[0]+1)/2, 0), 1)
		if got := tensors.MustCopyFlatData[float64](res[1])[0]; !(math.Abs(got-want) <= 1e-12) {
			t.Errorf("location %v: mean image %v, want %v", p[0], got, want)
		}
	}
}
