package eval

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/internal/batched"
)

// forBatches runs step over images and their labels in padded batches of b
// (see batched.Each), reporting progress before the first batch and after
// each.
func (m *Model) forBatches(phase string, in input, b int, step func(x, y *tensors.Tensor, start, count int) error) error {
	c := m.Config
	if m.Progress != nil {
		m.Progress(phase, 0, in.n)
	}
	return batched.Each(in.images, in.labels, []int{c.Height, c.Width, c.Channels}, b, func(x, y *tensors.Tensor, start, count int) error {
		if err := step(x, y, start, count); err != nil {
			return err
		}
		if m.Progress != nil {
			m.Progress(phase, start+count, in.n)
		}
		return nil
	})
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
