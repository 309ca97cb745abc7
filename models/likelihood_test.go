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

// TestLogisticScaleFloorIsSoft: the logistic's log-scale follows its
// variable above the floor, never falls below −7, and keeps a gradient
// below it, so a scale driven down can grow again.
func TestLogisticScaleFloorIsSoft(t *testing.T) {
	b := testenv.XLA(t)
	raw := []float64{0, -3, -7, -20, -200}
	exec := MustNewExec(b, func(l *Node) (*Node, *Node) {
		floored := logisticSoftFloor(l)
		return floored, Gradient(ReduceAllSum(floored), l)[0]
	})
	res := exec.MustExec(raw)
	got, grad := tensors.MustCopyFlatData[float64](res[0]), tensors.MustCopyFlatData[float64](res[1])
	for i, l := range raw {
		if !(got[i] >= logisticMinLogScale) {
			t.Errorf("log-scale %v floored to %v, below the floor %v", l, got[i], logisticMinLogScale)
		}
		if l >= -3 && !(math.Abs(got[i]-l) <= 0.02) {
			t.Errorf("log-scale %v floored to %v, want it nearly unchanged above the floor", l, got[i])
		}
		if l > -30 && !(grad[i] > 0) {
			t.Errorf("log-scale %v: gradient %v through the floor, want positive (a scale at the floor must be able to grow)", l, grad[i])
		}
	}
}
