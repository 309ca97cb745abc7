// Package parallel is latent's one parallel-for: loops over [0, n) split
// into ranges that run on GOMAXPROCS goroutines. Ranges splits by the
// number of CPUs, for work whose result does not depend on the split;
// Chunks splits into a fixed number of chunks, so that results reduced
// chunk by chunk are the same on every machine; Each hands out single
// indices, for items of uneven cost.
package parallel

import (
	"runtime"
	"sync"
)

// Workers returns the number of goroutines the loops use: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// Ranges calls fn on Workers() consecutive ranges [lo, hi) covering
// [0, n), all at once, with the range's index part, and waits for them.
// Ranges may be empty when n < Workers().
func Ranges(n int, fn func(part, lo, hi int)) {
	parts := Workers()
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := n*p/parts, n*(p+1)/parts
		wg.Go(func() { fn(p, lo, hi) })
	}
	wg.Wait()
}

// Chunks calls fn on chunks consecutive ranges [lo, hi) covering [0, n),
// with the chunk's index, on Workers() goroutines, and waits for them. The
// ranges depend on n and chunks only, not on the machine.
func Chunks(n, chunks int, fn func(chunk, lo, hi int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(Workers(), chunks) {
		wg.Go(func() {
			for c := range next {
				fn(c, c*n/chunks, (c+1)*n/chunks)
			}
		})
	}
	for c := range chunks {
		next <- c
	}
	close(next)
	wg.Wait()
}

// Each calls fn(i) for every i in [0, n) on up to Workers() goroutines,
// handing out one index at a time, and waits for them.
func Each(n int, fn func(i int)) {
	Chunks(n, n, func(i, _, _ int) { fn(i) })
}
