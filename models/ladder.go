package models

// The ladder model: a hierarchical VAE of Groups stochastic layers with
// bidirectional inference (Ladder VAE, Sønderby et al. 2016; NVAE, Vahdat
// and Kautz 2020). A bottom-up path (the resnet trunk, then residual dense
// cells) gives one feature per layer. A top-down path, shared by the prior
// and the posterior, walks the layers from the top: layer t's prior
// N(μ_p, σ_p²) comes from the path's state h (N(0, I) at the top), its
// posterior from h and the layer's bottom-up feature, and its z updates h
// through a residual cell (the skip connections). The resnet decoder maps
// the final state to the image.
//
// Codes are whitened by the prior (network.go): the posterior is
// parameterised relative to the prior, z = μ_p + σ_p·code, which makes the
// objective's closed-form KL per layer the KL between the layer's posterior
// and its prior given the layers drawn above.

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

func init() {
	registerModel(Model{Name: Ladder, Rank: 30, Help: "hierarchical, --groups stochastic layers",
		net:    ladder{},
		layers: func(c Config) int { return c.Groups },
		defaults: func(c Config) Config {
			if c.Groups == 0 {
				c.Groups = 2
			}
			return withBlocks(c)
		},
		check: checkLadder})
}

// checkLadder checks a ladder's residual blocks, stochastic layers and
// hidden units.
func checkLadder(c Config) error {
	if err := needsBlocks(c); err != nil {
		return err
	}
	switch {
	case c.Groups < 2:
		return fmt.Errorf("groups %d: a ladder needs at least 2 stochastic layers", c.Groups)
	case c.Latent%c.Groups != 0:
		return fmt.Errorf("latent size %d is not divisible into %d stochastic layers", c.Latent, c.Groups)
	case c.Hidden <= 0:
		return fmt.Errorf("hidden units %d: a ladder's top-down path needs positive hidden units", c.Hidden)
	}
	return nil
}

type ladder struct{}

// pickCode chooses layer t's code given its posterior's mean and
// log-variance (nil when decoding given codes).
type pickCode func(t int, mean, logVar *Node) *Node

// encode returns the posterior means and log-variances along the top-down
// path of the means.
func (ladder) encode(ctx *context.Context, cfg Config, x, y *Node) (*Node, *Node) {
	var means, logVars []*Node
	ladderDown(ctx, cfg, ladderUp(ctx, cfg, withLabelChannels(x, y), 1), y, func(_ int, mean, logVar *Node) *Node {
		means, logVars = append(means, mean), append(logVars, logVar)
		return mean
	})
	return Concatenate(means, -1), Concatenate(logVars, -1)
}

// decode walks the top-down path with the given codes.
func (ladder) decode(ctx *context.Context, cfg Config, z, y *Node) *Node {
	lg := cfg.Latent / cfg.Groups
	h := ladderDown(ctx, cfg, nil, y, func(t int, _, _ *Node) *Node {
		return SliceAxis(z, 1, AxisRange(t*lg, (t+1)*lg))
	})
	return resnetUp(ctx.In("decoder"), cfg, h)
}

// draw runs the bottom-up path once and the top-down path for k draws per
// image, drawing each layer's code from its posterior.
func (ladder) draw(ctx *context.Context, cfg Config, x, y *Node, k int, noise *Noise) ([]Group, *Node) {
	b, lg := x.Shape().Dimensions[0], cfg.Latent/cfg.Groups
	var groups []Group
	h := ladderDown(ctx, cfg, ladderUp(ctx, cfg, withLabelChannels(x, y), k), repeatRows(y, k), func(_ int, mean, logVar *Node) *Node {
		eps := noise.Normal(x.Graph(), mean.Shape()) // [B·k, L_g]
		code := Reparameterize(mean, logVar, eps)
		split := func(n *Node) *Node { return Reshape(n, b, k, lg) }
		groups = append(groups, Group{Mean: split(mean), LogVar: split(logVar), Eps: split(eps), Z: split(code)})
		return code
	})
	return groups, resnetUp(ctx.In("decoder"), cfg, h)
}

// ladderUp is the bottom-up path: one feature [B·k, Hidden] per stochastic
// layer, the bottom first, each image's repeated for its k draws.
func ladderUp(ctx *context.Context, cfg Config, x *Node, k int) []*Node {
	ctx = ctx.In("encoder")
	h := resnetTrunk(ctx, cfg, x)
	b := h.Shape().Dimensions[0]
	d := activations.Relu(Dense(ctx.In("hidden"), Reshape(h, b, -1), cfg.Hidden))
	ds := []*Node{d}
	for i := 1; i < cfg.Groups; i++ {
		d = denseCell(ctx.In(fmt.Sprintf("up%d", i)), d)
		ds = append(ds, d)
	}
	if k > 1 {
		for i, d := range ds {
			ds[i] = Reshape(BroadcastToDims(ExpandAxes(d, 1), b, k, cfg.Hidden), b*k, cfg.Hidden)
		}
	}
	return ds
}

// ladderDown is the top-down path: for each layer from the top, the
// posterior from the state and the bottom-up feature (when ds is not nil),
// the code that pick chooses, the prior that turns it into z, and the
// state's update. A conditional model's labels y [N, Classes] enter the
// state with the top layer's z, so every lower prior and posterior and the
// decoder see them. It returns the final state, rectified.
func ladderDown(ctx *context.Context, cfg Config, ds []*Node, y *Node, pick pickCode) *Node {
	ctx = ctx.In("topdown")
	// The posterior and prior heads start at zero: every layer's posterior
	// and prior start as N(0, I) in code coordinates, so the first steps do
	// not multiply large scales down the hierarchy (NVAE's residual
	// posterior starts at its prior the same way).
	heads := ctx.WithInitializer(initializers.Zero)
	lg := cfg.Latent / cfg.Groups
	var h *Node
	for t := range cfg.Groups {
		layer, head := ctx.In(fmt.Sprintf("layer%d", t)), heads.In(fmt.Sprintf("layer%d", t))
		var mean, logVar *Node
		if ds != nil {
			in := ds[len(ds)-1-t]
			if h != nil {
				in = Concatenate([]*Node{h, in}, -1)
			}
			mean, logVar = splitHalves(softClamp(Dense(head.In("posterior"), in, 2*lg)))
		}
		z := pick(t, mean, logVar)
		if h != nil {
			priorMean, priorLogVar := splitHalves(softClamp(Dense(head.In("prior"), h, 2*lg)))
			z = Reparameterize(priorMean, priorLogVar, z)
		}
		if t == 0 {
			z = withLabel(z, y)
		}
		u := Dense(layer.In("latent"), z, cfg.Hidden)
		if h == nil {
			h = u
		} else {
			h = Add(h, Dense(layer.In("cell"), activations.Relu(Add(h, u)), cfg.Hidden))
		}
	}
	return activations.Relu(h)
}

// clampBound bounds the means and log-variances of the ladder's Gaussians.
const clampBound = 10

// softClamp maps x smoothly into (−clampBound, clampBound), as NVAE does
// with its Gaussians' parameters (there with tanh, here as
// x/√(1 + (x/clampBound)²), which XLA computes to full precision): the
// identity near zero, it keeps an early step from making a variance
// overflow (a KL of +Inf).
func softClamp(x *Node) *Node {
	return Div(x, Sqrt(AddScalar(Square(MulScalar(x, 1.0/clampBound)), 1)))
}

// denseCell is the residual cell d + W₂·relu(W₁·d + b₁) + b₂.
func denseCell(ctx *context.Context, d *Node) *Node {
	units := d.Shape().Dimensions[1]
	return Add(d, Dense(ctx.In("b"), activations.Relu(Dense(ctx.In("a"), d, units)), units))
}
