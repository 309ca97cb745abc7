package generate

// Generating with a pixel head (models/pixel.go): the decoder's graph gives
// each code's features, and a second graph, PixelStep, gives one pixel's
// probability from its features and the window of pixels generated before
// it, one pixel after another in raster order.

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/batched"
	"github.com/latent-vae/latent/models"
)

// pixelSeed seeds the uniform draw of each pixel position that generating
// compares a pixel's probability with: the same for every image, so that
// nearby codes (an interpolation's frames) give similar images and a code
// always gives the same one.
const pixelSeed = 1

// pixelSteps runs PixelStep, compiled once for a fixed batch size.
type pixelSteps struct {
	exec  *context.Exec
	cfg   models.Config
	batch int
	draws []float32 // one uniform draw per pixel position
}

// newPixelSteps compiles PixelStep of cfg, whose variables ctx holds, for
// batches of batch pixels.
func newPixelSteps(b backends.Backend, ctx *context.Context, cfg models.Config, batch int) (*pixelSteps, error) {
	exec, err := context.NewExec(b, ctx.Reuse(), func(ctx *context.Context, feat, window *Node) *Node {
		return models.PixelStep(ctx, cfg, feat, window)
	})
	if err != nil {
		return nil, fmt.Errorf("building the pixel head: %w", err)
	}
	exec.SetMaxCache(1)
	feat := tensors.FromFlatDataAndDimensions(make([]float32, batch*models.PixelFeatures), batch, models.PixelFeatures)
	if err := exec.PreCompile(feat, tensors.FromShape(cfg.PixelWindowShape(batch))); err != nil {
		exec.Finalize()
		return nil, fmt.Errorf("compiling the pixel head: %w", err)
	}
	rng := rand.New(rand.NewPCG(pixelSeed, 0))
	draws := make([]float32, cfg.Height*cfg.Width)
	for i := range draws {
		draws[i] = rng.Float32()
	}
	return &pixelSteps{exec: exec, cfg: cfg, batch: batch, draws: draws}, nil
}

// generate turns the features of n codes (n·Height·Width·PixelFeatures
// values) into n images: each pixel's probability given the pixels
// generated before it. Each of those is drawn, on (1) when its probability
// exceeds its position's uniform draw, before the next; with grey, the
// next pixels read its probability instead, as a model trained on grey
// images read grey pixels.
func (p *pixelSteps) generate(feats []float32, n int, grey bool) ([]float32, error) {
	hw := p.cfg.Height * p.cfg.Width
	out := make([]float32, n*hw)
	for start := 0; start < n; start += p.batch {
		count := min(p.batch, n-start)
		err := p.generateBatch(feats[start*hw*models.PixelFeatures:(start+count)*hw*models.PixelFeatures], out[start*hw:(start+count)*hw], count, grey)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// generateBatch generates count ≤ batch images into out from their
// features, as generate does.
func (p *pixelSteps) generateBatch(feats, out []float32, count int, grey bool) error {
	hw, k, f := p.cfg.Height*p.cfg.Width, p.cfg.PixelKernel, models.PixelFeatures
	drawn := make([]float32, count*hw)
	feat, window := make([]float32, p.batch*f), make([]float32, p.batch*k*k)
	for i := range hw {
		for j := range count {
			copy(feat[j*f:(j+1)*f], feats[(j*hw+i)*f:])
			p.cfg.PixelWindow(drawn[j*hw:(j+1)*hw], i/p.cfg.Width, i%p.cfg.Width, window[j*k*k:(j+1)*k*k])
		}
		res, err := p.exec.Exec(tensors.FromFlatDataAndDimensions(feat, p.batch, f),
			tensors.FromFlatDataAndDimensions(window, p.batch, k, k, 1))
		if err != nil {
			return fmt.Errorf("running the pixel head: %w", err)
		}
		probs, err := tensors.CopyFlatData[float32](res[0])
		batched.Finalize(res)
		if err != nil {
			return fmt.Errorf("reading the pixel head's output: %w", err)
		}
		for j := range count {
			out[j*hw+i] = probs[j]
			switch {
			case grey:
				drawn[j*hw+i] = probs[j]
			case probs[j] > p.draws[i]:
				drawn[j*hw+i] = 1
			}
		}
	}
	return nil
}
