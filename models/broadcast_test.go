package models

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

func TestBroadcastCoords(t *testing.T) {
	tests := []struct {
		h, w int
		at   [][2]int     // pixels (row, column)
		want [][2]float32 // their (x, y)
	}{
		{3, 5, [][2]int{{0, 0}, {0, 4}, {2, 0}, {1, 2}, {2, 3}}, [][2]float32{{-1, -1}, {1, -1}, {-1, 1}, {0, 0}, {0.5, 1}}},
		{1, 2, [][2]int{{0, 0}, {0, 1}}, [][2]float32{{-1, 0}, {1, 0}}},
	}
	for _, tc := range tests {
		c := broadcastCoords(tc.h, tc.w)
		if d := c.Shape().Dimensions; len(d) != 3 || d[0] != tc.h || d[1] != tc.w || d[2] != 2 {
			t.Fatalf("%d×%d: coordinates of shape %v", tc.h, tc.w, d)
		}
		v := tensors.MustCopyFlatData[float32](c)
		for k, p := range tc.at {
			i := (p[0]*tc.w + p[1]) * 2
			if got := [2]float32{v[i], v[i+1]}; !(math.Abs(float64(got[0]-tc.want[k][0])) <= 1e-6) || !(math.Abs(float64(got[1]-tc.want[k][1])) <= 1e-6) {
				t.Errorf("%d×%d: pixel %v has (x, y) = %v, want %v", tc.h, tc.w, p, got, tc.want[k])
			}
		}
	}
}

// TestBroadcastDecoderSeesPlace: the decoder gives one code different
// values at different places of the image, far from the edges where
// padding alone could tell them apart; without the coordinate channels a
// tiled code would decode to the same value at every inner pixel.
func TestBroadcastDecoderSeesPlace(t *testing.T) {
	b := testenv.XLA(t)
	cfg := Config{Model: Broadcast, Height: 16, Width: 16, Channels: 3, Latent: 4, Widths: []int{8, 8}, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: DiscreteLogistic, Beta: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	if err := CreateVariables(b, ctx, cfg); err != nil {
		t.Fatal(err)
	}
	z := tensors.FromFlatDataAndDimensions([]float32{0.5, -1, 2, 0.25, 1, 1, -0.5, 0}, 2, 4)
	out, err := context.ExecOnce(b, ctx.Reuse(), func(ctx *context.Context, z *Node) *Node { return Decode(ctx, cfg, z, nil) }, z)
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Shape().Dimensions; len(d) != 4 || d[0] != 2 || d[1] != 16 || d[2] != 16 || d[3] != 3 {
		t.Fatalf("decoder output of shape %v, want [2 16 16 3]", d)
	}
	v := tensors.MustCopyFlatData[float32](out)
	at := func(img, row, col, ch int) float64 { return float64(v[((img*16+row)*16+col)*3+ch]) }
	// Pixels at least 4 from every edge: the receptive field of the three
	// 3×3 convolutions does not reach the padding.
	spread := 0.0
	for row := 4; row < 12; row++ {
		for col := 4; col < 12; col++ {
			spread = math.Max(spread, math.Abs(at(0, row, col, 0)-at(0, 4, 4, 0)))
		}
	}
	if !(spread > 1e-4) {
		t.Errorf("the decoder gives one code the same value at every inner pixel (spread %g): it does not see the place", spread)
	}
	if d := math.Abs(at(0, 8, 8, 0) - at(1, 8, 8, 0)); !(d > 1e-4) {
		t.Errorf("two codes decode to the same value at pixel (8, 8) (difference %g)", d)
	}
}

func TestBroadcastGradients(t *testing.T) {
	b := testenv.XLA(t)
	base := Config{Model: Broadcast, Height: 8, Width: 8, Channels: 1, Latent: 4, Widths: []int{4, 8}, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
	tests := []struct {
		name   string
		iw     int
		modify func(c *Config)
	}{
		{"bernoulli", 0, func(c *Config) {}},
		{"discretised logistic, RGB, hidden units", 0, func(c *Config) { c.Likelihood, c.Channels, c.Hidden = DiscreteLogistic, 3, 5 }},
		{"conditional, IW bound K=3", 3, func(c *Config) { c.Classes = 3 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.modify(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			checkGradients(t, b, cfg, tc.iw)
		})
	}
}

func TestBroadcastRefusesBlocks(t *testing.T) {
	c := DefaultConfig()
	c.Model, c.Blocks = Broadcast, 1
	if err := c.Validate(); err == nil {
		t.Error("a broadcast model with residual blocks was accepted")
	}
}
