// Package models holds latent's latent-variable models as GoMLX graphs and
// their one objective.
//
// A model is described by Config (saved with every run). Config.Model picks
// its networks from the family (network.go): conv (conv.go), resnet
// (resnet.go) or the hierarchical ladder (ladder.go). objective.go holds
// what every model shares: the reparameterisation, a pass of k draws per
// image over every stochastic layer, the per-image terms of the negative
// ELBO (the KL per layer and unit) and the importance-weighted bound that
// training, evaluation and anomaly scores all call; likelihood.go the
// likelihoods p(x|z).
package models

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Upsampling modes of the decoder.
const (
	UpsampleNearest      = "nearest"
	UpsampleDepthToSpace = "depth-to-space"
)

// Likelihoods of the decoder.
const (
	Bernoulli = "bernoulli" // decoder outputs logits; for grey images in [0, 1]
	Gaussian  = "gaussian"  // decoder outputs means through a sigmoid, with a learned per-channel scale
	// DiscreteLogistic is a discretised logistic over 256 levels per channel
	// (Salimans et al., 2017, one component): the decoder outputs its
	// location, with a learned scale per channel (see LogisticLogScale).
	DiscreteLogistic = "logistic"
)

// Networks of the model family (Config.Model).
const (
	Conv   = "conv"   // stride-2 convolutions and a mirrored decoder (conv.go); also the empty name
	ResNet = "resnet" // residual convolutional blocks in encoder and decoder (resnet.go)
	Ladder = "ladder" // a hierarchy of stochastic layers with top-down inference (ladder.go)
)

// Normalisations of the residual blocks (Config.Norm).
const (
	NormNone  = ""      // no normalisation
	NormLayer = "layer" // layer normalisation over each pixel's channels
)

// Config describes a VAE of the family. It is saved with every run; a
// config without a model name (saved before the family existed) is Conv.
type Config struct {
	Model      string  `json:"model,omitempty"` // Conv (or empty), ResNet or Ladder
	Height     int     `json:"height"`
	Width      int     `json:"width"`
	Channels   int     `json:"channels"`
	Latent     int     `json:"latent"`
	Widths     []int   `json:"widths"`     // channels of each stride-2 encoder convolution
	Hidden     int     `json:"hidden"`     // units of a dense layer between convolutions and latent, each side (0: none)
	Kernel     int     `json:"kernel"`     // odd convolution kernel size
	Upsample   string  `json:"upsample"`   // UpsampleNearest or UpsampleDepthToSpace
	Likelihood string  `json:"likelihood"` // Bernoulli or Gaussian
	Beta       float64 `json:"beta"`       // weight of the KL term
	// Blocks is the number of residual blocks at each resolution (ResNet,
	// Ladder): at least 1.
	Blocks int `json:"blocks,omitempty"`
	// Norm is the residual blocks' normalisation: NormNone or NormLayer.
	Norm string `json:"norm,omitempty"`
	// Groups is the number of stochastic layers of a Ladder (at least 2),
	// each of Latent/Groups dimensions; 0 for the other models (one layer).
	Groups int `json:"groups,omitempty"`
	// Classes, when positive, makes the model conditional: p(x|y) with a
	// class label y in [0, Classes) given to the encoder and the decoder
	// (a conditional VAE, Sohn et al. 2015). 0: unconditional.
	Classes int `json:"classes,omitempty"`
	// PixelWidth, when positive, gives the model a pixel head (pixel.go):
	// an autoregressive Bernoulli likelihood of each pixel given z and the
	// pixels before it, PixelWidth units wide. 0: pixels independent given z.
	PixelWidth int `json:"pixel_width,omitempty"`
	// PixelKernel is the pixel head's masked window, odd (0 without a head).
	PixelKernel int `json:"pixel_kernel,omitempty"`
	// LatentKind names what the model's code is (latent.go, Kind): a
	// registered latent kind; empty (every config saved before kinds
	// existed) is GaussianLatent.
	LatentKind string `json:"latent_kind,omitempty"`
	// Quantizer is a discrete model's quantiser (vq.go): QuantizerVQ or
	// QuantizerFSQ; empty for a continuous model.
	Quantizer string `json:"quantizer,omitempty"`
	// Codebook is the number of codes K of a QuantizerVQ model.
	Codebook int `json:"codebook,omitempty"`
	// CodebookUpdate is how a QuantizerVQ model's codebook learns:
	// CodebookEMA or CodebookGradient.
	CodebookUpdate string `json:"codebook_update,omitempty"`
	// NoRestarts turns off a QuantizerVQ model's dead-code restarts.
	NoRestarts bool `json:"no_restarts,omitempty"`
	// Levels are a QuantizerFSQ model's levels per channel (Latent is
	// their number).
	Levels []int `json:"levels,omitempty"`
}

// LabelInput checks labels against n items (CheckLabels) and returns them
// as the int32 values a graph's labels input takes: nil for an
// unconditional model, which ignores them (batched feeds zeros), else one
// per item.
func (c Config) LabelInput(labels []int, n int) ([]int32, error) {
	if err := c.CheckLabels(labels, n); err != nil || !c.Conditional() {
		return nil, err
	}
	out := make([]int32, n)
	for i, l := range labels {
		out[i] = int32(l)
	}
	return out, nil
}

// Conditional reports whether the model takes class labels.
func (c Config) Conditional() bool { return c.Classes > 0 }

// CheckLabels reports whether labels can go with n images into the model:
// none for an unconditional model (labels are then ignored), else n labels,
// each in [0, Classes).
func (c Config) CheckLabels(labels []int, n int) error {
	if !c.Conditional() {
		return nil
	}
	if len(labels) != n {
		return fmt.Errorf("the model is conditional on %d classes: %d labels given for %d images", c.Classes, len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || l >= c.Classes {
			return fmt.Errorf("label %d of item %d is outside the model's %d classes [0, %d)", l, i, c.Classes, c.Classes)
		}
	}
	return nil
}

// Network is the model's name, Conv for a config saved without one.
func (c Config) Network() string {
	if c.Model == "" {
		return Conv
	}
	return c.Model
}

// Layers is the number of stochastic layers (latent groups): Groups for a
// Ladder, else 1. A code of Latent values holds Layers groups of
// Latent/Layers values, the top layer first.
func (c Config) Layers() int {
	if m, ok := modelOf(c); ok && m.layers != nil {
		return m.layers(c)
	}
	return 1
}

// OutChannels is the number of the likelihood's parameters per pixel: one
// per channel (a logit, a mean, or the logistic's location; the Gaussian's
// and the logistic's scales are learned per channel, not decoded).
func (c Config) OutChannels() int { return c.Channels }

// DecoderChannels is the number of values a network's decoder outputs per
// pixel: the pixel head's features, or the likelihood's parameters.
func (c Config) DecoderChannels() int {
	if c.Autoregressive() {
		return PixelFeatures
	}
	return c.OutChannels()
}

// DefaultConfig is the model for MNIST-sized grey images: 1,659,169
// parameters (191,265 with Hidden 0, the model of the project's benchmarks).
func DefaultConfig() Config {
	return Config{Model: Conv, Height: 28, Width: 28, Channels: 1, Latent: 16, Widths: []int{32, 64}, Hidden: 256,
		Kernel: 3, Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
}

// WithFamilyDefaults returns c with the fields its network needs and c
// leaves at zero filled in (one residual block per resolution for ResNet
// and Ladder, two stochastic layers for Ladder), and the pixel head's
// window.
func WithFamilyDefaults(c Config) Config {
	if m, ok := modelOf(c); ok && m.defaults != nil {
		c = m.defaults(c)
	}
	if c.Autoregressive() && c.PixelKernel == 0 {
		c.PixelKernel = DefaultPixelKernel
	}
	return c
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	down := 1 << len(c.Widths)
	m, _ := modelOf(c)
	switch {
	case c.Height <= 0 || c.Width <= 0 || (c.Channels != 1 && c.Channels != 3):
		return fmt.Errorf("image shape %dx%dx%d: want positive height and width and 1 or 3 channels", c.Height, c.Width, c.Channels)
	case c.Hidden < 0:
		return fmt.Errorf("hidden units %d: must be zero (none) or positive", c.Hidden)
	case c.Latent <= 0:
		return fmt.Errorf("latent size %d: must be positive", c.Latent)
	case len(c.Widths) == 0:
		return fmt.Errorf("widths: at least one encoder convolution is needed")
	case !m.flat && (c.Height%down != 0 || c.Width%down != 0):
		return fmt.Errorf("image size %dx%d is not divisible by 2^%d (one halving per width in %v)", c.Height, c.Width, len(c.Widths), c.Widths)
	case c.Kernel <= 0 || c.Kernel%2 == 0:
		return fmt.Errorf("kernel size %d: must be odd (GoMLX v0.26's convolution gradient is wrong for even kernels)", c.Kernel)
	case c.Upsample != UpsampleNearest && c.Upsample != UpsampleDepthToSpace:
		return fmt.Errorf("upsample %q: want %q or %q", c.Upsample, UpsampleNearest, UpsampleDepthToSpace)
	case c.Likelihood != Bernoulli && c.Likelihood != Gaussian && c.Likelihood != DiscreteLogistic:
		return fmt.Errorf("likelihood %q: want %q, %q or %q", c.Likelihood, Bernoulli, Gaussian, DiscreteLogistic)
	case c.Beta < 0 || math.IsNaN(c.Beta):
		return fmt.Errorf("beta %v: must be non-negative", c.Beta)
	case c.Classes < 0 || c.Classes == 1:
		return fmt.Errorf("classes %d: want 0 (unconditional) or at least 2", c.Classes)
	}
	if err := c.validateFamily(); err != nil {
		return err
	}
	if err := c.validateKind(); err != nil {
		return err
	}
	if c.Upsample == UpsampleDepthToSpace {
		for _, w := range c.Widths {
			if w%4 != 0 {
				return fmt.Errorf("widths %v: depth-to-space needs every width divisible by 4", c.Widths)
			}
		}
	}
	return nil
}

// validateFamily checks the model's name and the fields that only some
// networks use (each registered Model's check).
func (c Config) validateFamily() error {
	m, ok := modelOf(c)
	switch {
	case !ok:
		return fmt.Errorf("model %q: want %s", c.Model, orList(ModelNames()))
	case c.Norm != NormNone && c.Norm != NormLayer:
		return fmt.Errorf("norm %q: want none (empty) or %q", c.Norm, NormLayer)
	}
	if err := noQuantizer(c); err != nil {
		return err
	}
	if m.check != nil {
		if err := m.check(c); err != nil {
			return err
		}
	}
	return c.validatePixel()
}

// orList quotes names as "a", "b" or "c".
func orList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// needsBlocks refuses a config of a model with residual blocks without
// one per resolution.
func needsBlocks(c Config) error {
	if c.Blocks < 1 {
		return fmt.Errorf("blocks %d: the %q model needs at least one residual block per resolution", c.Blocks, c.Network())
	}
	return nil
}

// plainNetwork is the check of a network without residual blocks and with
// one stochastic layer (conv, mlp, broadcast).
func plainNetwork(c Config) error {
	if c.Blocks != 0 || c.Norm != NormNone {
		return fmt.Errorf("blocks %d, norm %q: only the %q and %q models have residual blocks", c.Blocks, c.Norm, ResNet, Ladder)
	}
	return oneStochasticLayer(c)
}

// oneStochasticLayer refuses groups on a model with one stochastic layer.
func oneStochasticLayer(c Config) error {
	if c.Groups != 0 {
		return fmt.Errorf("groups %d: only the %q model has several stochastic layers", c.Groups, Ladder)
	}
	return nil
}

// validatePixel checks the pixel head's fields.
func (c Config) validatePixel() error {
	switch {
	case c.PixelWidth < 0:
		return fmt.Errorf("pixel width %d: want 0 (no pixel head) or positive", c.PixelWidth)
	case c.PixelWidth == 0 && c.PixelKernel != 0:
		return fmt.Errorf("pixel kernel %d: only a model with a pixel head (positive pixel width) has one", c.PixelKernel)
	case c.PixelWidth > 0 && (c.PixelKernel < 3 || c.PixelKernel%2 == 0):
		return fmt.Errorf("pixel kernel %d: want an odd window of at least 3", c.PixelKernel)
	case c.PixelWidth > 0 && (c.Likelihood != Bernoulli || c.Channels != 1):
		return fmt.Errorf("pixel head: needs one-channel images and the %q likelihood (have %d channels, %q)", Bernoulli, c.Channels, c.Likelihood)
	}
	return nil
}

// ImageShape is the shape of a batch of n images for cfg.
func (c Config) ImageShape(n int) shapes.Shape {
	return shapes.Make(dtypes.Float32, n, c.Height, c.Width, c.Channels)
}

// LikelihoodAdvice returns a warning when cfg's likelihood does not fit
// its images, naming the one that does ("" when it fits): Bernoulli scores
// each value as the probability of a binary pixel, which colour images are
// not; the discretised logistic fits 8-bit RGB.
func LikelihoodAdvice(cfg Config) string {
	if cfg.Likelihood == Bernoulli && cfg.Channels == 3 && cfg.PixelWidth == 0 {
		return fmt.Sprintf("the %s likelihood does not fit RGB images (it models binary pixels); "+
			"--likelihood %s fits 8-bit colour (and is the default on colour images)", Bernoulli, DiscreteLogistic)
	}
	return ""
}
