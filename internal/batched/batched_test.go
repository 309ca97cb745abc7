package batched

import (
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestEach(t *testing.T) {
	tests := []struct {
		name   string
		n      int // items of 2 values each
		size   int
		starts []int
		counts []int
	}{
		{"one partial batch", 3, 4, []int{0}, []int{3}},
		{"exact batches", 8, 4, []int{0, 4}, []int{4, 4}},
		{"padded last batch", 9, 4, []int{0, 4, 8}, []int{4, 4, 1}},
		{"no items", 0, 4, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, labels := make([]float32, 2*tc.n), make([]int32, tc.n)
			for i := range items {
				items[i] = float32(i + 1)
			}
			for i := range labels {
				labels[i] = int32(10 + i)
			}
			var starts, counts []int
			var seen []float32
			var seenLabels []int32
			err := Each(items, labels, []int{2}, tc.size, func(x, y *tensors.Tensor, start, count int) error {
				if d := x.Shape().Dimensions; !slices.Equal(d, []int{tc.size, 2}) {
					t.Errorf("batch shape %v, want [%d 2]", d, tc.size)
				}
				flat, ys := tensors.MustCopyFlatData[float32](x), tensors.MustCopyFlatData[int32](y)
				for _, v := range flat[2*count:] {
					if v != 0 {
						t.Errorf("padding holds %v, want 0", v)
					}
				}
				for _, v := range ys[count:] {
					if v != 0 {
						t.Errorf("padding labelled %v, want 0", v)
					}
				}
				seen, seenLabels = append(seen, flat[:2*count]...), append(seenLabels, ys[:count]...)
				starts, counts = append(starts, start), append(counts, count)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(starts, tc.starts) || !slices.Equal(counts, tc.counts) {
				t.Errorf("starts %v counts %v, want %v %v", starts, counts, tc.starts, tc.counts)
			}
			if !slices.Equal(seen, items) {
				t.Errorf("items seen %v, want %v", seen, items)
			}
			if !slices.Equal(seenLabels, labels) {
				t.Errorf("labels seen %v, want %v", seenLabels, labels)
			}
		})
	}
}

func TestEachErrors(t *testing.T) {
	step := func(_, _ *tensors.Tensor, _, _ int) error { return nil }
	if err := Each(make([]float32, 5), nil, []int{2}, 4, step); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("5 values of 2-value items: error %v", err)
	}
	if err := Each(make([]float32, 4), nil, []int{2}, 0, step); err == nil || !strings.Contains(err.Error(), "batch size 0") {
		t.Errorf("batch size 0: error %v", err)
	}
	if err := Each(make([]float32, 4), []int32{1}, []int{2}, 4, step); err == nil || !strings.Contains(err.Error(), "1 labels for 2 items") {
		t.Errorf("1 label for 2 items: error %v", err)
	}
}
