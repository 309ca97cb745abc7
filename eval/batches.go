package eval

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// forBatches calls step on consecutive batches of b of the images, the last
// padded with blank images to b so that one compiled graph serves all: step
// gets the batch [b,H,W,C], the index of its first image and how many of
// its images are real. Progress is reported before the first batch and
// after each.
func (m *Model) forBatches(phase string, images []float32, b int, step func(x *tensors.Tensor, start, count int) error) error {
	size := m.ImageSize()
	n := len(images) / size
	c := m.Config
	if m.Progress != nil {
		m.Progress(phase, 0, n)
	}
	for start := 0; start < n; start += b {
		count := min(b, n-start)
		batch := images[start*size : (start+count)*size]
		if count < b {
			batch = append(make([]float32, 0, b*size), batch...)
			batch = batch[:b*size] // the tail is zero: blank padding images
		}
		x := tensors.FromFlatDataAndDimensions(batch, b, c.Height, c.Width, c.Channels)
		err := step(x, start, count)
		x.FinalizeAll()
		if err != nil {
			return err
		}
		if m.Progress != nil {
			m.Progress(phase, start+count, n)
		}
	}
	return nil
}

// copyRows copies the first len(dst) values of t, a float32 tensor, to dst.
func copyRows(dst []float32, t *tensors.Tensor) error {
	return tensors.ConstFlatData(t, func(flat []float32) {
		copy(dst, flat[:len(dst)])
	})
}

// addRows adds w times the first len(dst) values of t, a float32 tensor, to dst.
func addRows(dst []float64, t *tensors.Tensor, w float64) error {
	return tensors.ConstFlatData(t, func(flat []float32) {
		for i := range dst {
			dst[i] += w * float64(flat[i])
		}
	})
}

// finalize frees tensors' memory now rather than at garbage collection.
func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		if t != nil {
			t.FinalizeAll()
		}
	}
}

// checkShape reports whether t has the dimensions want.
func checkShape(t *tensors.Tensor, want ...int) error {
	got := t.Shape().Dimensions
	if len(got) != len(want) {
		return fmt.Errorf("graph output has shape %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("graph output has shape %v, want %v", got, want)
		}
	}
	return nil
}
