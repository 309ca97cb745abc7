// Package features is the feature network of latent's sample-quality
// scores (package score): a small convolutional classifier trained by
// latent on a labelled training split with a fixed Recipe, whose
// penultimate layer (Dim values per image) is the feature space, and whose
// predicted classes give the class coverage.
//
// MNIST's network ships inside latent (mnist.safetensors, checked against
// its SHA-256); another labelled set gets one trained on first use and
// cached under the user's cache folder, named by the set's content and the
// recipe (cache.go). Files are safetensors with the recipe, image shape,
// class names, test accuracy and a SHA-256 of the weights in the metadata
// (file.go).
package features

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/latent-vae/latent/internal/batched"
)

// Dim is the number of features per image.
const Dim = 128

// Architecture names the network network builds; a change to it must
// change the name, which is part of every Recipe and so of every cache key.
const Architecture = "conv32s2-conv64s2-conv64s2-dense128-v1"

// scope holds the network's variables.
const scope = "features"

// Net is a trained feature network.
type Net struct {
	Height, Width, Channels int
	Classes                 []string // class i's name
	Recipe                  Recipe
	Accuracy                float64 // on the test split of the set it was trained on
	DataHash                string  // of that set (see DataHash)
	ctx                     *context.Context
}

// network returns the logits and the features (the penultimate layer,
// after its ReLU) of images x [B, H, W, C] in [0, 1]: three 3×3 stride-2
// convolutions of 32, 64 and 64 channels, each with a ReLU, a dense layer
// of Dim units and a dense layer of one logit per class.
func network(ctx *context.Context, x *Node, classes int) (logits, feats *Node) {
	h := x
	for i, c := range []int{32, 64, 64} {
		h = layers.Convolution(ctx.In(fmt.Sprintf("conv%d", i)), h).Channels(c).KernelSize(3).Strides(2).PadSame().Done()
		h = activations.Relu(h)
	}
	h = Reshape(h, h.Shape().Dimensions[0], -1)
	feats = activations.Relu(layers.Dense(ctx.In("dense"), h, true, Dim))
	return layers.Dense(ctx.In("logits"), feats, true, classes), feats
}

// Extractor runs a network over images in fixed batches, compiled once.
type Extractor struct {
	net   *Net
	exec  *context.Exec
	batch int
}

// extractBatch is the batch Extractor compiles for.
const extractBatch = 250

// NewExtractor compiles n's features and predicted classes on b.
func (n *Net) NewExtractor(b backends.Backend) (*Extractor, error) {
	exec, err := context.NewExec(b, n.ctx.Reuse(), func(ctx *context.Context, x *Node) []*Node {
		logits, feats := network(ctx.In(scope), x, len(n.Classes))
		return []*Node{feats, ConvertDType(ArgMax(logits, -1), feats.DType())}
	})
	if err != nil {
		return nil, fmt.Errorf("building the feature network: %w", err)
	}
	exec.SetMaxCache(1)
	return &Extractor{net: n, exec: exec, batch: extractBatch}, nil
}

// Finalize frees the compiled graph.
func (e *Extractor) Finalize() { e.exec.Finalize() }

// Extract returns the features (len(images)/pixels × Dim) and predicted
// classes of images, H×W×C each, values in [0, 1]; progress, when not nil,
// is called with the images done so far.
func (e *Extractor) Extract(images []float32, progress func(done, total int)) ([]float32, []int, error) {
	n := e.net
	size := n.Height * n.Width * n.Channels
	if len(images)%size != 0 {
		return nil, nil, fmt.Errorf("feature network: %d values are not whole %dx%dx%d images", len(images), n.Height, n.Width, n.Channels)
	}
	count := len(images) / size
	feats, classes := make([]float32, count*Dim), make([]int, count)
	pred := make([]float32, e.batch)
	err := batched.Each(images, nil, []int{n.Height, n.Width, n.Channels}, e.batch, func(x, _ *tensors.Tensor, start, real int) error {
		out, err := e.exec.Exec(x)
		if err != nil {
			return fmt.Errorf("running the feature network: %w", err)
		}
		defer batched.Finalize(out)
		if err := batched.Rows(feats[start*Dim:(start+real)*Dim], out[0]); err != nil {
			return err
		}
		if err := batched.Rows(pred[:real], out[1]); err != nil {
			return err
		}
		for i, p := range pred[:real] {
			classes[start+i] = int(p)
		}
		if progress != nil {
			progress(start+real, count)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return feats, classes, nil
}
