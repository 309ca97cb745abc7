package serve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBatchPrefix(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
		limit int
		want  int
	}{
		{"one small", []int{1}, 4, 1},
		{"all fit exactly", []int{1, 1, 2}, 4, 3},
		{"stop before overflow", []int{2, 1, 2, 1}, 4, 2},
		{"first too big goes alone", []int{9, 1}, 4, 1},
		{"big one waits behind small ones", []int{1, 9}, 4, 1},
		{"many singles", []int{1, 1, 1, 1, 1, 1}, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := batchPrefix(tt.sizes, tt.limit); got != tt.want {
				t.Errorf("batchPrefix(%v, %d) = %d, want %d", tt.sizes, tt.limit, got, tt.want)
			}
		})
	}
}

// recordingDecoder decodes each 2-value code to a 3-value image of its
// own (z0, z1, z0+z1+100·label), label 0 without labels, and records the
// number of codes of every call.
type recordingDecoder struct {
	mu    sync.Mutex
	calls []int
	fail  error
	delay time.Duration
}

func (d *recordingDecoder) decode(codes []float32, labels []int) ([]float32, error) {
	d.mu.Lock()
	d.calls = append(d.calls, len(codes)/2)
	d.mu.Unlock()
	time.Sleep(d.delay)
	if d.fail != nil {
		return nil, d.fail
	}
	if labels != nil && len(labels) != len(codes)/2 {
		return nil, fmt.Errorf("%d labels for %d codes", len(labels), len(codes)/2)
	}
	out := make([]float32, 0, len(codes)/2*3)
	for i := 0; i < len(codes); i += 2 {
		label := 0
		if labels != nil {
			label = labels[i/2]
		}
		out = append(out, codes[i], codes[i+1], codes[i]+codes[i+1]+100*float32(label))
	}
	return out, nil
}

func codesFor(i, n int) []float32 {
	z := make([]float32, 0, 2*n)
	for k := range n {
		z = append(z, float32(i), float32(k))
	}
	return z
}

// TestBatcherSharesCallsAndKeepsEachResult sends concurrent requests of
// mixed sizes: each must get exactly the images of its own codes, the calls
// must be fewer than the requests, and no call may exceed the batch size
// (every request here fits in one).
func TestBatcherSharesCallsAndKeepsEachResult(t *testing.T) {
	d := &recordingDecoder{delay: time.Millisecond}
	b := newBatcher(d.decode, 2, 3, 8, 20*time.Millisecond)
	defer b.Close()
	const requests = 40
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for i := range requests {
		wg.Go(func() {
			n := 1 + i%3
			codes := codesFor(i, n)
			got, err := b.Decode(context.Background(), codes, nil)
			if err != nil {
				errs <- err
				return
			}
			want, _ := (&recordingDecoder{}).decode(codes, nil)
			if !slices.Equal(got, want) {
				t.Errorf("request %d: got %v, want %v", i, got, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(d.calls) >= requests {
		t.Errorf("%d graph calls for %d concurrent requests: nothing was batched", len(d.calls), requests)
	}
	for _, n := range d.calls {
		if n > 8 {
			t.Errorf("a call of %d codes exceeds the batch of 8", n)
		}
	}
}

func TestBatcherLargeRequestAlone(t *testing.T) {
	d := &recordingDecoder{}
	b := newBatcher(d.decode, 2, 3, 4, time.Millisecond)
	defer b.Close()
	got, err := b.Decode(context.Background(), codesFor(7, 10), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 || !slices.Equal(d.calls, []int{10}) {
		t.Errorf("got %d values in calls %v, want 30 values in one call of 10 codes", len(got), d.calls)
	}
}

func TestBatcherErrors(t *testing.T) {
	boom := errors.New("boom")
	d := &recordingDecoder{fail: boom}
	b := newBatcher(d.decode, 2, 3, 4, time.Millisecond)
	if _, err := b.Decode(context.Background(), codesFor(1, 1), nil); !errors.Is(err, boom) {
		t.Errorf("decoder failure: got %v, want %v", err, boom)
	}
	if _, err := b.Decode(context.Background(), []float32{1, 2, 3}, nil); err == nil {
		t.Error("3 values of 2-value codes: no error")
	}
	if _, err := b.Decode(context.Background(), codesFor(1, 2), []int{1}); err == nil || !strings.Contains(err.Error(), "1 labels for 2 codes") {
		t.Errorf("1 label for 2 codes: got %v", err)
	}
	b.Close()
	if _, err := b.Decode(context.Background(), codesFor(1, 1), nil); !errors.Is(err, errClosed) {
		t.Errorf("after Close: got %v, want %v", err, errClosed)
	}
}

func TestBatcherCancelled(t *testing.T) {
	d := &recordingDecoder{delay: 200 * time.Millisecond}
	b := newBatcher(d.decode, 2, 3, 4, time.Millisecond)
	defer b.Close()
	go func() { _, _ = b.Decode(context.Background(), codesFor(1, 4), nil) }() // keeps the loop busy
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := b.Decode(ctx, codesFor(2, 1), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want %v", err, context.DeadlineExceeded)
	}
}

// TestBatcherKeepsEachRequestsLabels sends concurrent requests with
// different labels (and the same codes) through one graph call: each
// request's images must be decoded with its own label.
func TestBatcherKeepsEachRequestsLabels(t *testing.T) {
	d := &recordingDecoder{}
	b := newBatcher(d.decode, 2, 3, 8, time.Second) // the window closes when the batch is full
	defer b.Close()
	labels := [][]int{{0, 0}, {3, 3}, {5, 5}, {7, 7}}
	got := make([][]float32, len(labels))
	var wg sync.WaitGroup
	for i, l := range labels {
		wg.Go(func() {
			var err error
			if got[i], err = b.Decode(context.Background(), codesFor(1, 2), l); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !slices.Equal(d.calls, []int{8}) {
		t.Fatalf("graph calls of %v codes, want one call of all 8", d.calls)
	}
	for i, l := range labels {
		want, _ := (&recordingDecoder{}).decode(codesFor(1, 2), l)
		if !slices.Equal(got[i], want) {
			t.Errorf("request with labels %v: got %v, want %v", l, got[i], want)
		}
	}
}
