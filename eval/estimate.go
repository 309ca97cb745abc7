package eval

import (
	"fmt"
	"time"
)

// EstimateLogLikelihood returns about how long LogLikelihood takes on all
// of images with k samples each: it times one batch of them, after a call
// that compiles the graph, and scales the time to every batch. Its draws
// are seeded by seed and do not change LogLikelihood's.
func (m *Model) EstimateLogLikelihood(images []float32, labels []int, k int, seed int64) (time.Duration, error) {
	in, err := m.check(images, labels)
	if err != nil {
		return 0, err
	}
	if k < 1 {
		return 0, fmt.Errorf("importance samples %d: want at least 1", k)
	}
	chunk := min(k, max(m.Chunk, 1))
	b := m.batchSize(in.n, chunk) // the batch LogLikelihood uses on all of images
	size := m.ImageSize()
	first, firstLabels := images[:b*size], labels
	if labels != nil {
		firstLabels = labels[:b]
	}
	progress := m.Progress
	m.Progress = nil
	defer func() { m.Progress = progress }()
	if _, err := m.LogLikelihood(first, firstLabels, chunk, seed); err != nil { // compiles
		return 0, err
	}
	start := time.Now()
	if _, err := m.LogLikelihood(first, firstLabels, k, seed); err != nil {
		return 0, err
	}
	batches := (in.n + b - 1) / b
	return time.Since(start) * time.Duration(batches), nil
}
