// Package batched runs a compiled graph over any number of items in batches
// of one fixed size, the last padded with zero items, so that one
// compilation serves every call. Generation, evaluation and the training
// loop's test evaluation all feed their graphs through it.
package batched

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Each calls step on consecutive batches of size items taken from items,
// which holds whole items of itemDims values each, back to back, with their
// labels (one per item, or nil for zeros: an unconditional model's graphs
// take labels and ignore them). Each batch is a tensor x [size,
// itemDims...] and its labels y [size] (int32); the last batch is padded
// with zero items labelled 0. step gets them, the index of the batch's first
// item and how many of its items are real; the tensors are freed when step
// returns.
func Each(items []float32, labels []int32, itemDims []int, size int, step func(x, y *tensors.Tensor, start, count int) error) error {
	itemSize := 1
	for _, d := range itemDims {
		itemSize *= d
	}
	if size <= 0 {
		return fmt.Errorf("batch size %d: must be positive", size)
	}
	if itemSize <= 0 || len(items)%itemSize != 0 {
		return fmt.Errorf("%d values are not a whole number of items of shape %v", len(items), itemDims)
	}
	n := len(items) / itemSize
	if labels != nil && len(labels) != n {
		return fmt.Errorf("%d labels for %d items", len(labels), n)
	}
	dims := append([]int{size}, itemDims...)
	var pad []float32
	ys := make([]int32, size)
	for start := 0; start < n; start += size {
		count := min(size, n-start)
		batch := items[start*itemSize : (start+count)*itemSize]
		if count < size {
			if pad == nil {
				pad = make([]float32, size*itemSize)
			}
			clear(pad[copy(pad, batch):])
			batch = pad
		}
		clear(ys)
		if labels != nil {
			copy(ys, labels[start:start+count])
		}
		x, y := tensors.FromFlatDataAndDimensions(batch, dims...), tensors.FromFlatDataAndDimensions(ys, size)
		err := step(x, y, start, count)
		x.FinalizeAll()
		y.FinalizeAll()
		if err != nil {
			return err
		}
	}
	return nil
}

// Rows copies the first len(dst) values of t, a float32 tensor whose rows
// are batch items, into dst: the rows of the real items of a padded batch.
func Rows(dst []float32, t *tensors.Tensor) error {
	return tensors.ConstFlatData(t, func(flat []float32) {
		if len(flat) < len(dst) {
			panic(fmt.Sprintf("batched.Rows: tensor of %d values, want at least %d", len(flat), len(dst)))
		}
		copy(dst, flat)
	})
}

// AddRows adds w times the first len(dst) values of t, a float32 tensor, to
// dst: a running sum over draws of per-item values.
func AddRows(dst []float64, t *tensors.Tensor, w float64) error {
	return tensors.ConstFlatData(t, func(flat []float32) {
		for i := range dst {
			dst[i] += w * float64(flat[i])
		}
	})
}

// Finalize frees tensors' memory now rather than at garbage collection.
func Finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		if t != nil {
			t.FinalizeAll()
		}
	}
}
