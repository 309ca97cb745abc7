// Package generate turns a trained VAE's latent space into pictures: it
// decodes latents and encodes images in fixed-size batches through one
// compiled graph each, interpolates between codes, and writes image grids
// and animated GIFs.
package generate

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/batched"
	"github.com/latent-vae/latent/models"
)

// DefaultBatch is the batch size commands compile their graphs for.
const DefaultBatch = 64

// batchRunner runs one compiled graph of items and their labels over inputs
// of any length in fixed-size batches, padding the last one with zeros.
type batchRunner struct {
	exec    *context.Exec
	cfg     models.Config
	name    string
	batch   int
	inDims  []int // dimensions of one input item
	inSize  int   // values per input item
	outSize int   // values per output item
}

// newBatchRunner builds fn's Exec on ctx.Reuse() and compiles it for
// inputs [batch, inDims...] and labels [batch] (int32), which only a
// conditional model cfg uses.
func newBatchRunner(b backends.Backend, ctx *context.Context, cfg models.Config, name string, batch int, inDims []int, outSize int,
	fn func(ctx *context.Context, x, y *Node) *Node) (*batchRunner, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("%s batch size %d: must be positive", name, batch)
	}
	exec, err := context.NewExec(b, ctx.Reuse(), fn)
	if err != nil {
		return nil, fmt.Errorf("building the %s: %w", name, err)
	}
	exec.SetMaxCache(1) // one input shape only: a second compile would be a bug
	r := &batchRunner{exec: exec, cfg: cfg, batch: batch, outSize: outSize, inDims: inDims, name: name, inSize: 1}
	for _, d := range inDims {
		r.inSize *= d
	}
	dims := append([]int{batch}, inDims...)
	x, y := tensors.FromFlatDataAndDimensions(make([]float32, batch*r.inSize), dims...), make([]int32, batch)
	if err := exec.PreCompile(x, y); err != nil {
		exec.Finalize()
		return nil, fmt.Errorf("compiling the %s (is the run's checkpoint for this model?): %w", name, err)
	}
	return r, nil
}

// run feeds in (a whole number of items) with their labels (see
// models.Config.LabelInput) through the graph batch by batch.
func (r *batchRunner) run(in []float32, labels []int) ([]float32, error) {
	if len(in)%r.inSize != 0 {
		return nil, fmt.Errorf("%s: %d input values are not a whole number of items of %d", r.name, len(in), r.inSize)
	}
	n := len(in) / r.inSize
	ys, err := r.cfg.LabelInput(labels, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	out := make([]float32, n*r.outSize)
	err = batched.Each(in, ys, r.inDims, r.batch, func(x, y *tensors.Tensor, start, count int) error {
		res, err := r.exec.Exec(x, y)
		if err != nil {
			return fmt.Errorf("running the %s: %w", r.name, err)
		}
		defer batched.Finalize(res)
		if err := batched.Rows(out[start*r.outSize:(start+count)*r.outSize], res[0]); err != nil {
			return fmt.Errorf("reading the %s's output: %w", r.name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Decoder maps latent codes to mean images through one graph compiled once
// for a fixed batch size; the last batch of a call is padded. For a model
// with a pixel head the graph gives each code's features, and the image is
// generated from them one pixel after another (pixel.go).
type Decoder struct {
	// GreyPixels tells a model with a pixel head that it was trained on
	// grey images: each generated pixel's probability is then the value
	// the next pixels read, as they read grey pixels in training. Unset
	// (a run trained on binarized images), each pixel is drawn 0 or 1 for
	// the next ones. Either way Decode returns the probabilities.
	GreyPixels bool

	r     *batchRunner
	pixel *pixelSteps // nil without a pixel head
}

// NewDecoder builds and compiles the decoder of cfg, whose variables ctx
// holds (a loaded run's Ctx), for batches of batch codes.
func NewDecoder(b backends.Backend, ctx *context.Context, cfg models.Config, batch int) (*Decoder, error) {
	outSize := cfg.Height * cfg.Width * cfg.Channels
	if cfg.Autoregressive() {
		outSize = cfg.Height * cfg.Width * models.PixelFeatures
	}
	r, err := newBatchRunner(b, ctx, cfg, "decoder", batch, cfg.Kind().Code().Dimensions, outSize,
		func(ctx *context.Context, z, y *Node) *Node {
			if dt := cfg.Kind().Code().DType; z.DType() != dt {
				z = ConvertDType(z, dt) // host codes are float32; a discrete kind's graph takes its indices
			}
			out := models.Decode(ctx, cfg, z, y)
			if cfg.Autoregressive() {
				return out // the pixel head's features
			}
			return models.MeanImage(cfg, out)
		})
	if err != nil {
		return nil, err
	}
	d := &Decoder{r: r}
	if cfg.Autoregressive() {
		if d.pixel, err = newPixelSteps(b, ctx, cfg, batch); err != nil {
			r.exec.Finalize()
			return nil, err
		}
	}
	return d, nil
}

// Decode maps codes (n codes of the latent kind's size) to n images, NHWC in [0, 1]. A
// conditional model decodes code i as class labels[i]; the others take nil.
func (d *Decoder) Decode(codes []float32, labels []int) ([]float32, error) {
	out, err := d.r.run(codes, labels)
	if err != nil || d.pixel == nil {
		return out, err
	}
	return d.pixel.generate(out, len(codes)/d.r.cfg.Kind().Code().Size(), d.GreyPixels)
}

// Batch is the batch size the decoder was compiled for.
func (d *Decoder) Batch() int { return d.r.batch }

// Finalize frees the compiled graphs.
func (d *Decoder) Finalize() {
	d.r.exec.Finalize()
	if d.pixel != nil {
		d.pixel.exec.Finalize()
	}
}

// Encoder maps images to their posterior means through one graph compiled
// once for a fixed batch size; the last batch of a call is padded.
type Encoder struct{ r *batchRunner }

// NewEncoder builds and compiles the encoder of cfg (posterior mean only),
// whose variables ctx holds, for batches of batch images.
func NewEncoder(b backends.Backend, ctx *context.Context, cfg models.Config, batch int) (*Encoder, error) {
	r, err := newBatchRunner(b, ctx, cfg, "encoder", batch, []int{cfg.Height, cfg.Width, cfg.Channels}, cfg.Kind().Code().Size(),
		func(ctx *context.Context, x, y *Node) *Node {
			mean, _ := models.Encode(ctx, cfg, x, y)
			return mean
		})
	if err != nil {
		return nil, err
	}
	return &Encoder{r}, nil
}

// Encode maps n images (NHWC in [0, 1]) to their posterior means, n codes
// of the latent kind's size; a conditional model takes their class labels, the others nil.
func (e *Encoder) Encode(images []float32, labels []int) ([]float32, error) {
	return e.r.run(images, labels)
}

// Batch is the batch size the encoder was compiled for.
func (e *Encoder) Batch() int { return e.r.batch }

// Finalize frees the compiled graph.
func (e *Encoder) Finalize() { e.r.exec.Finalize() }

// BatchFor is the batch size to compile for n items: n itself up to
// DefaultBatch, so small jobs pad nothing and large ones reuse one graph.
func BatchFor(n int) int { return max(1, min(n, DefaultBatch)) }
