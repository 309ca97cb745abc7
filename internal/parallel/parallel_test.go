package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestLoopsCoverEachIndexOnce runs each loop on sizes around the number of
// workers and checks that every index is visited exactly once, and that
// Ranges and Chunks pass consecutive ranges in part order.
func TestLoopsCoverEachIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	loops := []struct {
		name string
		run  func(n int, visit func(i int), span func(part, lo, hi int))
		want func(n int) int // parts the loop makes
	}{
		{"Ranges", func(n int, visit func(int), span func(int, int, int)) {
			Ranges(n, func(p, lo, hi int) { span(p, lo, hi); forRange(lo, hi, visit) })
		}, func(int) int { return 3 }},
		{"Chunks", func(n int, visit func(int), span func(int, int, int)) {
			Chunks(n, 5, func(c, lo, hi int) { span(c, lo, hi); forRange(lo, hi, visit) })
		}, func(int) int { return 5 }},
		{"Each", func(n int, visit func(int), span func(int, int, int)) {
			Each(n, func(i int) { span(i, i, i+1); visit(i) })
		}, func(n int) int { return n }},
	}
	for _, l := range loops {
		for _, n := range []int{0, 1, 2, 3, 7, 100} {
			seen := make([]atomic.Int32, n)
			parts := l.want(n)
			los, his := make([]int, parts), make([]int, parts)
			calls := atomic.Int32{}
			l.run(n, func(i int) { seen[i].Add(1) }, func(p, lo, hi int) {
				los[p], his[p] = lo, hi
				calls.Add(1)
			})
			if int(calls.Load()) != parts {
				t.Errorf("%s(%d): %d parts, want %d", l.name, n, calls.Load(), parts)
			}
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Errorf("%s(%d): index %d visited %d times", l.name, n, i, c)
				}
			}
			for p := 1; p < parts; p++ {
				if los[p] != his[p-1] {
					t.Errorf("%s(%d): part %d starts at %d, part %d ends at %d", l.name, n, p, los[p], p-1, his[p-1])
				}
			}
		}
	}
}

// forRange calls visit on each of lo..hi-1.
func forRange(lo, hi int, visit func(int)) {
	for i := lo; i < hi; i++ {
		visit(i)
	}
}
