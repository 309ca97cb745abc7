package models

// The mlp model: fully connected networks, the architecture β-TCVAE's
// paper trains on dSprites (Chen et al. 2018, appendix: an encoder of
// 4096–1200–1200 units and a decoder of 1200–1200–1200–4096). The encoder
// flattens the image and applies one dense layer with a ReLU per entry of
// Widths, then the dense hidden layer (Hidden, if any) and the posterior's
// mean and log-variance; the decoder mirrors it: the hidden layer, Widths
// last first, and a dense layer to every pixel's likelihood parameters.
// Its dense layers are 1×1 convolutions (Dense), whose gradients XLA runs
// as matrix products: on a CPU it trains several times more images per
// second than the conv model on 64×64 images.

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// MLP is the name of the fully connected model (Config.Model).
const MLP = "mlp"

func init() {
	registerModel(Model{Name: MLP, Rank: 15,
		Help:  "fully connected layers of --widths units (β-TCVAE's dSprites model: --widths 1200,1200 --hidden 1200)",
		net:   oneLayer{mlpEncode, mlpDecode},
		flat:  true,
		check: plainNetwork})
}

// mlpEncode maps images [B, H, W, C] to the posterior's mean and
// log-variance [B, Latent].
func mlpEncode(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node) {
	ctx = ctx.In("encoder")
	h := Reshape(x, x.Shape().Dimensions[0], -1)
	for i, w := range cfg.Widths {
		h = activations.Relu(Dense(ctx.In(fmt.Sprintf("dense%d", i)), h, w))
	}
	return posteriorHead(ctx, cfg, h)
}

// mlpDecode maps latents [B, Latent] to the likelihood's parameters
// [B, H, W, DecoderChannels].
func mlpDecode(ctx *context.Context, cfg Config, z *Node) *Node {
	ctx = ctx.In("decoder")
	h := z
	if cfg.Hidden > 0 {
		h = activations.Relu(Dense(ctx.In("hidden"), h, cfg.Hidden))
	}
	for i := len(cfg.Widths) - 1; i >= 0; i-- {
		h = activations.Relu(Dense(ctx.In(fmt.Sprintf("dense%d", i)), h, cfg.Widths[i]))
	}
	c := cfg.DecoderChannels()
	h = Dense(ctx.In("out"), h, cfg.Height*cfg.Width*c)
	return Reshape(h, z.Shape().Dimensions[0], cfg.Height, cfg.Width, c)
}
