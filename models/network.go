package models

// The family's dispatch: every caller (training, evaluation, generation,
// export) reaches a model's networks through Encode, Decode and Sample,
// which pick the network by Config.Model. A network only maps images and
// codes; the objective (objective.go) is written once for all of them.

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// A code of the Gaussian latent kind (latent_gaussian.go, the kind every
// network here draws: a diagonal Gaussian posterior, reparameterised) is a
// model's latent vector of Latent values: Layers() groups of
// Latent/Layers() values, the top stochastic layer first. For a model with
// one stochastic layer it is z itself. For a Ladder each group is the
// layer's z whitened by its prior given the layers above,
// (z_i − μ_p,i)/σ_p,i, so that codes drawn from N(0, I) decode to samples
// of the model's prior, and the KL of a group in code coordinates is the
// KL between the layer's posterior and prior.

// network is one architecture of the family.
//
// A conditional model (Config.Classes > 0) takes each image's class label
// y as well: the encoder sees it as Classes one-hot channels beside the
// image's (withLabelChannels) and the decoder beside the code
// (withLabel); y is nil for an unconditional model.
type network interface {
	// encode maps images [B, H, W, C] (with their labels y [B, Classes])
	// to the posterior's mean and log-variance in code coordinates,
	// [B, Latent] each (for a Ladder, along the top-down path of the
	// posterior means).
	encode(ctx *context.Context, cfg Config, x, y *Node) (mean, logVar *Node)
	// decode maps codes [N, Latent] (with labels y [N, Classes]) to the
	// likelihood's parameters [N, H, W, DecoderChannels] (a pixel
	// head's features for an autoregressive model).
	decode(ctx *context.Context, cfg Config, z, y *Node) *Node
	// draw draws k codes per image of x [B, H, W, C] from the posterior,
	// one Group per stochastic layer, and decodes them ([B·k, H, W,
	// DecoderChannels], the k draws of an image together).
	draw(ctx *context.Context, cfg Config, x, y *Node, k int, noise *Noise) ([]Group, *Node)
}

// Model is one network of the family, as its file registers it from an
// init function (conv.go, resnet.go, ladder.go): nothing else switches on
// a model's name.
type Model struct {
	Name string // the value of Config.Model
	Help string // what it is, in a few words, for --model's help
	Rank int    // its place in lists: the lower, the earlier
	net  network
	// flat says that its widths are dense layers, not one halving of the
	// image each: any image size suits it.
	flat bool
	// layers is a config's number of stochastic layers (nil: 1).
	layers func(Config) int
	// defaults fills in the fields the model needs that a config leaves at
	// zero (nil: none).
	defaults func(Config) Config
	// check reports the first field the model needs and lacks, or has and
	// cannot use (nil: none).
	check func(Config) error
}

// models holds the registered networks. It is written only by
// registerModel from init functions, and read-only after.
var models []Model

// registerModel makes a network available to configs. A name registered
// twice is a programming error, and panics.
func registerModel(m Model) {
	if m.Name == "" || slices.ContainsFunc(models, func(o Model) bool { return o.Name == m.Name }) {
		panic(fmt.Sprintf("models: model %q registered twice or empty", m.Name))
	}
	models = append(models, m)
	slices.SortStableFunc(models, func(a, b Model) int { return a.Rank - b.Rank })
}

// Models are the registered networks, by rank.
func Models() []Model { return slices.Clone(models) }

// ModelNames are the registered networks' names, by rank.
func ModelNames() []string {
	out := make([]string, len(models))
	for i, m := range models {
		out[i] = m.Name
	}
	return out
}

// modelOf is the registered network of cfg.Network(), or false.
func modelOf(cfg Config) (Model, bool) {
	i := slices.IndexFunc(models, func(m Model) bool { return m.Name == cfg.Network() })
	if i < 0 {
		return Model{}, false
	}
	return models[i], true
}

// networkOf is cfg's network; cfg has been validated.
func networkOf(cfg Config) network {
	m, ok := modelOf(cfg)
	if !ok {
		panic(fmt.Sprintf("models: model %q is not registered (the config was not validated)", cfg.Model))
	}
	return m.net
}

// Encode maps images [B, H, W, C] in [0, 1] to the posterior's mean and
// log-variance in code coordinates, each [B, Latent]. labels [B] (int32)
// are the images' classes, which a conditional model needs and the others
// ignore (nil is fine for them).
func Encode(ctx *context.Context, cfg Config, x, labels *Node) (mean, logVar *Node) {
	return networkOf(cfg).encode(ctx, cfg, x, oneHot(cfg, labels, x.DType()))
}

// Decode maps codes [B, Latent] (and, for a conditional model, the classes
// labels [B] to decode them as) to the likelihood's parameters
// [B, H, W, OutChannels], which MeanImage turns into images; for a model
// with a pixel head, to the features [B, H, W, PixelFeatures] that PixelStep
// generates from, one pixel after another.
func Decode(ctx *context.Context, cfg Config, z, labels *Node) *Node {
	dtype := z.DType()
	if !dtype.IsFloat() { // a discrete kind's indices: the network's values are float32
		dtype = dtypes.Float32
	}
	return networkOf(cfg).decode(ctx, cfg, z, oneHot(cfg, labels, dtype))
}

// oneHot is labels [B] (int32) as one-hot rows [B, Classes] of dtype, or
// nil for an unconditional model. A conditional model built without labels
// is a programming error: it panics, as graph building does.
func oneHot(cfg Config, labels *Node, dtype dtypes.DType) *Node {
	if cfg.Classes == 0 {
		return nil
	}
	if labels == nil {
		panic(fmt.Sprintf("models: the model is conditional on %d classes but was given no labels", cfg.Classes))
	}
	return OneHot(labels, cfg.Classes, dtype)
}

// withLabelChannels appends one-hot labels y [B, Classes] to images x
// [B, H, W, C] as Classes constant channels; x itself when y is nil.
func withLabelChannels(x, y *Node) *Node {
	if y == nil {
		return x
	}
	d := x.Shape().Dimensions
	c := y.Shape().Dimensions[1]
	ys := BroadcastToDims(Reshape(y, d[0], 1, 1, c), d[0], d[1], d[2], c)
	return Concatenate([]*Node{x, ys}, -1)
}

// withLabel appends one-hot labels y [N, Classes] to rows h [N, D]; h
// itself when y is nil.
func withLabel(h, y *Node) *Node {
	if y == nil {
		return h
	}
	return Concatenate([]*Node{h, y}, -1)
}

// repeatRows repeats each row of x [B, …] k times, consecutively: [B·k, …];
// nil stays nil.
func repeatRows(x *Node, k int) *Node {
	if x == nil || k == 1 {
		return x
	}
	d := x.Shape().Dimensions
	dims := append([]int{d[0], k}, d[1:]...)
	return Reshape(BroadcastToDims(ExpandAxes(x, 1), dims...), append([]int{d[0] * k}, d[1:]...)...)
}

// oneLayer is a network with one stochastic layer: an encoder to a
// diagonal Gaussian posterior and a decoder of z.
type oneLayer struct {
	enc func(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node)
	dec func(ctx *context.Context, cfg Config, z *Node) *Node
}

func (n oneLayer) encode(ctx *context.Context, cfg Config, x, y *Node) (*Node, *Node) {
	return n.enc(ctx, cfg, withLabelChannels(x, y))
}

func (n oneLayer) decode(ctx *context.Context, cfg Config, z, y *Node) *Node {
	return n.dec(ctx, cfg, withLabel(z, y))
}

// draw encodes x once and decodes k draws per image.
func (n oneLayer) draw(ctx *context.Context, cfg Config, x, y *Node, k int, noise *Noise) ([]Group, *Node) {
	mean, logVar := n.encode(ctx, cfg, x, y) // [B, L]
	b, l := mean.Shape().Dimensions[0], mean.Shape().Dimensions[1]
	var eps *Node
	if k == 1 {
		eps = ExpandAxes(noise.Normal(x.Graph(), mean.Shape()), 1)
	} else {
		eps = noise.Normal(x.Graph(), shapes.Make(mean.DType(), b, k, l))
	}
	z := Reparameterize(mean, logVar, eps) // [B, k, L]
	out := n.decode(ctx, cfg, Reshape(z, b*k, l), repeatRows(y, k))
	return []Group{{Mean: ExpandAxes(mean, 1), LogVar: ExpandAxes(logVar, 1), Eps: eps, Z: z}}, out
}
