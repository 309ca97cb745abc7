package data

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Streams of the random generators seeded from a batcher's seed, kept apart
// so that the order of an epoch and the draws of a step never coincide.
const (
	permStream     = 0x7065726d5f737472 // "perm_str"
	binarizeStream = 0x62696e6172697a65 // "binarize"
)

// Batch is one training batch.
type Batch struct {
	Images []float32 // BatchSize images, NHWC
	Labels []int     // BatchSize labels
	Step   int64     // the global step the batch belongs to
	Epoch  int       // Step / StepsPerEpoch
}

// Batcher yields deterministic training batches from a split: the batch of
// a step is a pure function of the seed and the step, so a resumed run sees
// exactly the batches an uninterrupted one would. Its methods may be called
// from several goroutines.
type Batcher struct {
	split     *Split
	batchSize int
	seed      int64
	binarize  bool

	mu        sync.Mutex // guards the cached permutation
	permEpoch int
	perm      []int
}

// NewBatcher returns a batcher of batchSize images from s. With binarize
// each pixel of a batch is a fresh Bernoulli draw with its grey value as
// probability.
func NewBatcher(s *Split, batchSize int, seed int64, binarize bool) (*Batcher, error) {
	switch {
	case s == nil || s.N == 0:
		return nil, fmt.Errorf("batching: the split holds no images")
	case batchSize < 1:
		return nil, fmt.Errorf("batching: batch size must be at least 1, got %d", batchSize)
	case batchSize > s.N:
		return nil, fmt.Errorf("batching: batch size %d exceeds the %d images of the split", batchSize, s.N)
	}
	return &Batcher{split: s, batchSize: batchSize, seed: seed, binarize: binarize, permEpoch: -1}, nil
}

// BatchSize returns the number of images in each batch.
func (b *Batcher) BatchSize() int { return b.batchSize }

// StepsPerEpoch returns N / batchSize: the last partial batch of each epoch
// is dropped.
func (b *Batcher) StepsPerEpoch() int { return b.split.N / b.batchSize }

// Batch returns the batch of a step (step >= 0). Its epoch is
// step/StepsPerEpoch; the order of epoch e is a permutation seeded from
// (seed, e), and with binarize the draws of step s are seeded from
// (seed, s), so each epoch sees fresh draws. The result is newly allocated
// and never reused.
func (b *Batcher) Batch(step int64) Batch {
	if step < 0 {
		panic(fmt.Sprintf("data: Batcher.Batch called with negative step %d", step))
	}
	spe := int64(b.StepsPerEpoch())
	epoch := int(step / spe)
	first := int(step%spe) * b.batchSize
	indices := b.permutation(epoch)[first : first+b.batchSize]
	size := b.split.ImageSize()
	out := Batch{
		Images: make([]float32, 0, b.batchSize*size),
		Labels: make([]int, 0, b.batchSize),
		Step:   step,
		Epoch:  epoch,
	}
	for _, i := range indices {
		out.Images = b.split.AppendImage(out.Images, i)
		out.Labels = append(out.Labels, b.split.Labels[i])
	}
	if b.binarize {
		binarizeInPlace(out.Images, rand.New(rand.NewPCG(uint64(b.seed)^binarizeStream, uint64(step))))
	}
	return out
}

// permutation returns the image order of an epoch, caching the latest. The
// returned slice is never modified.
func (b *Batcher) permutation(epoch int) []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.permEpoch != epoch {
		b.perm = rand.New(rand.NewPCG(uint64(b.seed)^permStream, uint64(epoch))).Perm(b.split.N)
		b.permEpoch = epoch
	}
	return b.perm
}

// Stream returns a channel of the batches from startStep on. A goroutine
// prepares the next batch while the consumer uses the current one; it stops
// and closes the channel when ctx is cancelled.
func (b *Batcher) Stream(ctx context.Context, startStep int64) <-chan Batch {
	ch := make(chan Batch, 1)
	go func() {
		defer close(ch)
		for step := startStep; ctx.Err() == nil; step++ {
			select {
			case ch <- b.Batch(step):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// Binarize returns a copy of images in which each pixel is 1 with its value
// as probability, else 0; the draws are seeded from seed.
func Binarize(images []float32, seed int64) []float32 {
	out := append([]float32(nil), images...)
	binarizeInPlace(out, rand.New(rand.NewPCG(uint64(seed), binarizeStream)))
	return out
}

// binarizeInPlace replaces each pixel by a Bernoulli draw.
func binarizeInPlace(pixels []float32, rng *rand.Rand) {
	for i, p := range pixels {
		if rng.Float32() < p {
			pixels[i] = 1
		} else {
			pixels[i] = 0
		}
	}
}
