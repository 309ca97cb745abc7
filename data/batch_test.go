package data

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"
)

// testSplit returns a split of n 2×2 images in which image i's pixels are
// all i/(n-1) (or 0.5 with one image) and its label is i.
func testSplit(n int) *Split {
	s := &Split{N: n, Height: 2, Width: 2, Channels: 1, Labels: make([]int, n)}
	for i := range n {
		v := float32(0.5)
		if n > 1 {
			v = float32(i) / float32(n-1)
		}
		q := Quantize(v)
		s.Pixels = append(s.Pixels, q, q, q, q)
		s.Labels[i] = i
	}
	return s
}

func TestNewBatcherErrors(t *testing.T) {
	tests := []struct {
		name      string
		split     *Split
		batchSize int
		want      string
	}{
		{"nil split", nil, 1, "no images"},
		{"empty split", testSplit(0), 1, "no images"},
		{"zero batch", testSplit(5), 0, "at least 1"},
		{"batch larger than split", testSplit(5), 6, "batch size 6 exceeds the 5 images"},
	}
	for _, tt := range tests {
		_, err := NewBatcher(tt.split, tt.batchSize, 1, false)
		wantErr(t, err, tt.want)
	}
}

func TestBatchDeterminism(t *testing.T) {
	s := testSplit(103)
	tests := []struct {
		name      string
		batchSize int
		binarize  bool
	}{{"grey", 10, false}, {"binarized", 10, true}, {"whole split", 103, false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewBatcher(s, tt.batchSize, 42, tt.binarize)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := NewBatcher(s, tt.batchSize, 42, tt.binarize)
			other, _ := NewBatcher(s, tt.batchSize, 43, tt.binarize)
			// b visits the steps in another order, so caches cannot help.
			steps := []int64{0, 1, 25, 9, 10, 11, 3, 1000}
			for i, step := range steps {
				b.Batch(steps[len(steps)-1-i])
				got, want := a.Batch(step), b.Batch(step)
				if !slices.Equal(got.Images, want.Images) || !slices.Equal(got.Labels, want.Labels) || got.Step != step {
					t.Errorf("step %d differs between batchers with the same seed", step)
				}
				if wantEpoch := int(step) / a.StepsPerEpoch(); got.Epoch != wantEpoch {
					t.Errorf("step %d: epoch %d, want %d", step, got.Epoch, wantEpoch)
				}
				if len(got.Images) != tt.batchSize*4 || len(got.Labels) != tt.batchSize {
					t.Errorf("step %d: %d values, %d labels; want %d images", step, len(got.Images), len(got.Labels), tt.batchSize)
				}
			}
			if slices.Equal(a.Batch(0).Labels, other.Batch(0).Labels) {
				t.Errorf("seeds 42 and 43 gave the same first batch")
			}
		})
	}
}

func TestBatchEpochs(t *testing.T) {
	s := testSplit(103)
	b, err := NewBatcher(s, 10, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.StepsPerEpoch(); got != 10 {
		t.Fatalf("StepsPerEpoch = %d, want 10 (103/10, dropping the partial batch)", got)
	}
	var orders [][]int
	for epoch := range 3 {
		var order []int
		for i := range 10 {
			batch := b.Batch(int64(epoch*10 + i))
			for j, l := range batch.Labels {
				if want := float32(Quantize(float32(l)/102)) / 255; batch.Images[4*j] != want {
					t.Fatalf("epoch %d: image with label %d has pixel %v, want %v", epoch, l, batch.Images[4*j], want)
				}
			}
			order = append(order, batch.Labels...)
		}
		sorted := slices.Clone(order)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != 100 {
			t.Errorf("epoch %d repeats images: %v", epoch, order)
		}
		orders = append(orders, order)
	}
	if slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2]) {
		t.Errorf("consecutive epochs have the same order")
	}
}

func TestBatchBinarize(t *testing.T) {
	s := &Split{N: 64, Height: 8, Width: 8, Channels: 1, Labels: make([]int, 64), Pixels: make([]uint8, 64*64)}
	for i := range s.Pixels {
		s.Pixels[i] = Quantize(float32(i%5) / 4) // grey levels 0, .25, .5, .75, 1
	}
	for i := range s.Labels {
		s.Labels[i] = i
	}
	grey, _ := s.MeanStd()
	b, err := NewBatcher(s, 64, 9, true)
	if err != nil {
		t.Fatal(err)
	}
	first, again, next := b.Batch(0), b.Batch(0), b.Batch(1)
	var sum float64
	for _, v := range first.Images {
		if v != 0 && v != 1 {
			t.Fatalf("binarized pixel %v, want 0 or 1", v)
		}
		sum += float64(v)
	}
	if mean := sum / float64(len(first.Images)); math.Abs(mean-grey) > 0.02 {
		t.Errorf("binarized mean %.4f, want about the grey mean %.4f", mean, grey)
	}
	if !slices.Equal(first.Images, again.Images) {
		t.Errorf("Batch(0) gave different draws twice")
	}
	if slices.Equal(first.Images, next.Images) {
		t.Errorf("steps 0 and 1 gave the same binarized batch")
	}
	for j, l := range first.Labels {
		for p, v := range s.Image(l) {
			if got := first.Images[j*64+p]; (v == 0 || v == 1) && got != v {
				t.Fatalf("image %d pixel %d: %v binarized to %v", l, p, v, got)
			}
		}
	}
	if s.Pixels[1] != Quantize(0.25) {
		t.Errorf("binarizing changed the split")
	}
}

func TestBinarize(t *testing.T) {
	in := make([]float32, 20000)
	for i := range in {
		in[i] = float32(i%3) / 2 // 0, .5, 1
	}
	a, b, c := Binarize(in, 1), Binarize(in, 1), Binarize(in, 2)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Errorf("Binarize is not a function of its seed")
	}
	ones := 0
	for i, v := range a {
		switch {
		case in[i] == 0 && v != 0, in[i] == 1 && v != 1:
			t.Fatalf("pixel %d: %v binarized to %v", i, in[i], v)
		case in[i] == 0.5 && v == 1:
			ones++
		}
	}
	if frac := float64(ones) / float64(len(in)/3); math.Abs(frac-0.5) > 0.03 {
		t.Errorf("grey 0.5 became 1 %.3f of the time, want about 0.5", frac)
	}
	if in[1] != 0.5 {
		t.Errorf("Binarize modified its input")
	}
}

func TestStream(t *testing.T) {
	b, err := NewBatcher(testSplit(50), 8, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.Stream(ctx, 4)
	for step := int64(4); step < 20; step++ {
		got := <-ch
		want := b.Batch(step)
		if got.Step != step || !slices.Equal(got.Images, want.Images) || !slices.Equal(got.Labels, want.Labels) {
			t.Fatalf("stream's batch %d differs from Batch(%d)", got.Step, step)
		}
	}
	cancel()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the stream did not close after cancel")
		}
	}
}
