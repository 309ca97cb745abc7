// Package models holds latent's latent-variable models as GoMLX graphs and
// their one objective.
//
// A model is described by Config (saved with every run); conv.go holds its
// encoder and decoder networks, objective.go the reparameterisation, the
// per-image terms of the negative ELBO and the importance-weighted bound
// that training, evaluation and anomaly scores all call.
package models

import (
	"fmt"
	"math"

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
)

// Config describes a convolutional VAE. It is saved with every run.
type Config struct {
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
}

// DefaultConfig is the model for MNIST-sized grey images: 1,659,169
// parameters (191,265 with Hidden 0, the model of the project's benchmarks).
func DefaultConfig() Config {
	return Config{Height: 28, Width: 28, Channels: 1, Latent: 16, Widths: []int{32, 64}, Hidden: 256,
		Kernel: 3, Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
}

// Validate reports the first problem with c, naming the field.
func (c Config) Validate() error {
	down := 1 << len(c.Widths)
	switch {
	case c.Height <= 0 || c.Width <= 0 || (c.Channels != 1 && c.Channels != 3):
		return fmt.Errorf("image shape %dx%dx%d: want positive height and width and 1 or 3 channels", c.Height, c.Width, c.Channels)
	case c.Hidden < 0:
		return fmt.Errorf("hidden units %d: must be zero (none) or positive", c.Hidden)
	case c.Latent <= 0:
		return fmt.Errorf("latent size %d: must be positive", c.Latent)
	case len(c.Widths) == 0:
		return fmt.Errorf("widths: at least one encoder convolution is needed")
	case c.Height%down != 0 || c.Width%down != 0:
		return fmt.Errorf("image size %dx%d is not divisible by 2^%d (one halving per width in %v)", c.Height, c.Width, len(c.Widths), c.Widths)
	case c.Kernel <= 0 || c.Kernel%2 == 0:
		return fmt.Errorf("kernel size %d: must be odd (GoMLX v0.26's convolution gradient is wrong for even kernels)", c.Kernel)
	case c.Upsample != UpsampleNearest && c.Upsample != UpsampleDepthToSpace:
		return fmt.Errorf("upsample %q: want %q or %q", c.Upsample, UpsampleNearest, UpsampleDepthToSpace)
	case c.Likelihood != Bernoulli && c.Likelihood != Gaussian:
		return fmt.Errorf("likelihood %q: want %q or %q", c.Likelihood, Bernoulli, Gaussian)
	case c.Beta < 0 || math.IsNaN(c.Beta):
		return fmt.Errorf("beta %v: must be non-negative", c.Beta)
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

// ImageShape is the shape of a batch of n images for cfg.
func (c Config) ImageShape(n int) shapes.Shape {
	return shapes.Make(dtypes.Float32, n, c.Height, c.Width, c.Channels)
}
