package serve

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errClosed is returned by a decode asked of a closed batcher.
var errClosed = errors.New("the server is shutting down")

// batcher gathers concurrent decode requests into graph calls: the first
// request waiting opens a collection window; requests arriving within it join
// the same call until the compiled batch is full. Each request gets exactly
// the images of its own codes, decoded with its own labels, so the result of
// a request does not depend on what it was batched with.
type batcher struct {
	decode    func(codes []float32, labels []int) ([]float32, error)
	latent    int // values per code
	imageSize int // values per image
	batch     int // codes per graph call
	window    time.Duration
	queue     chan *decodeJob
	quit      chan struct{}
	done      chan struct{}
}

// decodeJob is one request's codes, their labels (nil for an
// unconditional model) and where its images go.
type decodeJob struct {
	codes  []float32
	labels []int
	n      int // codes in the request
	out    chan decodeResult
}

// decodeResult is a job's images or its error.
type decodeResult struct {
	images []float32
	err    error
}

// newBatcher starts a batcher calling decode with at most batch codes of
// latent values (and their labels) at a time (except for a single request of
// more), collecting for window after the first request arrives.
func newBatcher(decode func([]float32, []int) ([]float32, error), latent, imageSize, batch int, window time.Duration) *batcher {
	b := &batcher{decode: decode, latent: latent, imageSize: imageSize, batch: batch, window: window,
		queue: make(chan *decodeJob), quit: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

// Decode returns the images of codes (a whole number of codes) with labels
// (one per code, or nil for an unconditional model), decoded in one graph
// call with whatever other requests arrive in the same window.
func (b *batcher) Decode(ctx context.Context, codes []float32, labels []int) ([]float32, error) {
	if len(codes) == 0 || len(codes)%b.latent != 0 {
		return nil, fmt.Errorf("decode: %d values are not a positive whole number of %d-dimensional codes", len(codes), b.latent)
	}
	n := len(codes) / b.latent
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("decode: %d labels for %d codes", len(labels), n)
	}
	j := &decodeJob{codes: codes, labels: labels, n: n, out: make(chan decodeResult, 1)}
	select {
	case b.queue <- j:
	case <-b.quit:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-j.out:
		return r.images, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the batcher; requests still waiting get errClosed.
func (b *batcher) Close() {
	close(b.quit)
	<-b.done
}

// loop runs graph calls until Close. Requests that did not fit in a call
// wait for the next one, in arrival order.
func (b *batcher) loop() {
	defer close(b.done)
	var waiting []*decodeJob
	for {
		if len(waiting) == 0 {
			select {
			case j := <-b.queue:
				waiting = append(waiting, j)
			case <-b.quit:
				return
			}
		}
		var ok bool
		if waiting, ok = b.collect(waiting); !ok {
			fail(waiting, errClosed)
			return
		}
		k := batchPrefix(sizes(waiting), b.batch)
		b.run(waiting[:k])
		waiting = append(waiting[:0], waiting[k:]...)
	}
}

// collect adds requests to waiting until they hold batch codes or the window
// closes; ok is false when the batcher was closed meanwhile.
func (b *batcher) collect(waiting []*decodeJob) (_ []*decodeJob, ok bool) {
	total := sum(sizes(waiting))
	if total >= b.batch {
		return waiting, true
	}
	timer := time.NewTimer(b.window)
	defer timer.Stop()
	for total < b.batch {
		select {
		case j := <-b.queue:
			waiting = append(waiting, j)
			total += j.n
		case <-timer.C:
			return waiting, true
		case <-b.quit:
			return waiting, false
		}
	}
	return waiting, true
}

// run decodes the jobs' codes with their labels in one call and hands each
// job its images. The labels stay nil when no job has any.
func (b *batcher) run(jobs []*decodeJob) {
	codes := make([]float32, 0, sum(sizes(jobs))*b.latent)
	var labels []int
	for _, j := range jobs {
		codes = append(codes, j.codes...)
		labels = append(labels, j.labels...)
	}
	if labels != nil && len(labels) != len(codes)/b.latent {
		fail(jobs, fmt.Errorf("decode: requests with and without labels in one call (%d labels for %d codes)", len(labels), len(codes)/b.latent))
		return
	}
	images, err := b.decode(codes, labels)
	if err == nil && len(images) != len(codes)/b.latent*b.imageSize {
		err = fmt.Errorf("decode: %d values back for %d codes of %d-value images", len(images), len(codes)/b.latent, b.imageSize)
	}
	if err != nil {
		fail(jobs, err)
		return
	}
	for _, j := range jobs {
		size := j.n * b.imageSize
		j.out <- decodeResult{images: images[:size:size]}
		images = images[size:]
	}
}

// fail answers every job with err.
func fail(jobs []*decodeJob, err error) {
	for _, j := range jobs {
		j.out <- decodeResult{err: err}
	}
}

// batchPrefix is how many of the waiting requests, of sizes codes each in
// arrival order, the next graph call takes: the longest prefix holding at
// most limit codes, and at least one request (a request larger than limit is
// decoded alone).
func batchPrefix(sizes []int, limit int) int {
	total := 0
	for i, n := range sizes {
		if total+n > limit {
			return max(i, 1)
		}
		total += n
	}
	return len(sizes)
}

func sizes(jobs []*decodeJob) []int {
	out := make([]int, len(jobs))
	for i, j := range jobs {
		out[i] = j.n
	}
	return out
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
