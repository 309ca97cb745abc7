package features

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/schedule"
)

// Recipe is how a feature network is trained: with the architecture it
// names, it fixes the network a labelled set gets.
type Recipe struct {
	Architecture string  `json:"architecture"`
	Seed         int64   `json:"seed"`  // of the initial weights and the batches
	Steps        int     `json:"steps"` // Adam steps
	Batch        int     `json:"batch"`
	LR           float64 `json:"lr"` // Adam's peak learning rate, decayed to 0 on a cosine
}

// DefaultRecipe is the recipe of every network latent trains.
var DefaultRecipe = Recipe{Architecture: Architecture, Seed: 1, Steps: 2500, Batch: 128, LR: 2e-3}

// Schedule is the recipe's learning rate: LR decayed to 0 on a half cosine
// over Steps, without warm-up.
func (r Recipe) Schedule() schedule.LR {
	return schedule.LR{Peak: r.LR, Cosine: true, End: int64(r.Steps)}
}

// key is the recipe's part of a cache key.
func (r Recipe) key() string {
	b, _ := json.Marshal(r) // a struct of plain fields always encodes
	return string(b)
}

// Train trains a feature network on set's training split with recipe r
// on b, and measures its accuracy on the test split. progress, when not
// nil, is called after each step with the steps done. Training is
// deterministic: the same set, recipe and backend give the same weights.
func Train(b backends.Backend, set *data.Set, r Recipe, progress func(done, total int)) (*Net, error) {
	if len(set.Classes) < 2 {
		return nil, fmt.Errorf("data set %s has no labels (one class): a feature network needs labelled images", set.Name)
	}
	tr := set.Train
	if tr.N < r.Batch {
		return nil, fmt.Errorf("data set %s: %d training images, fewer than a batch of %d", set.Name, tr.N, r.Batch)
	}
	n := &Net{Height: tr.Height, Width: tr.Width, Channels: tr.Channels, Classes: set.Classes, Recipe: r,
		DataHash: DataHash(set), ctx: context.New()}
	if err := n.ctx.SetRNGStateFromSeed(r.Seed); err != nil {
		return nil, err
	}
	opt := optimizers.Adam().LearningRate(r.LR).Done()
	classes := len(set.Classes)
	step, err := context.NewExec(b, n.ctx, func(ctx *context.Context, x, y, lr *Node) *Node {
		optimizers.LearningRateVar(ctx, lr.DType(), r.LR).SetValueGraph(lr)
		logits, _ := network(ctx.In(scope), x, classes)
		loss := ReduceAllMean(losses.SparseCategoricalCrossEntropyLogits([]*Node{ExpandAxes(y, -1)}, []*Node{logits}))
		opt.UpdateGraph(ctx, x.Graph(), loss)
		return loss
	})
	if err != nil {
		return nil, fmt.Errorf("building the feature network's training step: %w", err)
	}
	defer step.Finalize()
	batcher, err := data.NewBatcher(tr, r.Batch, r.Seed, false)
	if err != nil {
		return nil, err
	}
	ys := make([]int32, r.Batch)
	for s := range r.Steps {
		bt := batcher.Batch(int64(s))
		for i, l := range bt.Labels {
			ys[i] = int32(l)
		}
		lr := float32(r.Schedule().At(int64(s)))
		out, err := step.Exec(tensors.FromFlatDataAndDimensions(bt.Images, r.Batch, tr.Height, tr.Width, tr.Channels),
			tensors.FromFlatDataAndDimensions(ys, r.Batch), lr)
		if err != nil {
			return nil, fmt.Errorf("feature network, training step %d: %w", s, err)
		}
		loss := tensors.ToScalar[float32](out[0])
		out[0].FinalizeAll()
		if math.IsNaN(float64(loss)) {
			return nil, fmt.Errorf("feature network for %s, training step %d of %d: the loss is NaN (learning rate %g, batch %d, seed %d): training diverged, no network was made",
				set.Name, s, r.Steps, r.LR, r.Batch, r.Seed)
		}
		if progress != nil {
			progress(s+1, r.Steps)
		}
	}
	acc, err := n.TestAccuracy(b, set.Test)
	if err != nil {
		return nil, err
	}
	n.Accuracy = acc
	return n, nil
}

// TestAccuracy returns the share of split's images whose label n predicts.
func (n *Net) TestAccuracy(b backends.Backend, split *data.Split) (float64, error) {
	if split.N == 0 {
		return 0, fmt.Errorf("no test images to measure the feature network's accuracy on")
	}
	e, err := n.NewExtractor(b)
	if err != nil {
		return 0, err
	}
	defer e.Finalize()
	_, pred, err := e.Extract(split.Images(), nil)
	if err != nil {
		return 0, err
	}
	right := 0
	for i, p := range pred {
		if p == split.Labels[i] {
			right++
		}
	}
	return float64(right) / float64(split.N), nil
}

// DataHash returns the SHA-256 of a set's content: both splits' shapes,
// pixels and labels, and its class names.
func DataHash(set *data.Set) string {
	h := sha256.New()
	for _, sp := range []*data.Split{set.Train, set.Test} {
		for _, v := range []int{sp.N, sp.Height, sp.Width, sp.Channels} {
			_ = binary.Write(h, binary.LittleEndian, int64(v))
		}
		var img []uint8
		for i := range sp.N {
			img = sp.AppendPixels(img[:0], i)
			h.Write(img)
		}
		for _, l := range sp.Labels {
			_ = binary.Write(h, binary.LittleEndian, int64(l))
		}
	}
	names, _ := json.Marshal(set.Classes)
	h.Write(names)
	return hex.EncodeToString(h.Sum(nil))
}
