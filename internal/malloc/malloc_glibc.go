//go:build linux && cgo

// Package malloc tunes glibc's malloc for XLA's CPU runtime and returns
// the memory it holds free to the system. Importing it (backend does, for
// every program that runs graphs) installs the tuning.
package malloc

// glibc's malloc is tuned when the program loads (latent_tune_malloc, a C
// constructor) for XLA's CPU runtime: large blocks are served from malloc's
// heap, and freed memory is not returned to the system. XLA allocates and
// frees its temporaries on every execution; with glibc's defaults each large
// block was a fresh mmap, so every training step paid for page faults and
// zeroing (17% of a step's time in the kernel). Measured on 2 cores: +15–25%
// images/s. Memory then stays at its peak instead of shrinking, so a program
// that moves between graphs of different sizes (training steps, then a test
// evaluation of larger batches) calls ReleaseFree between them.

/*
#include <malloc.h>

__attribute__((constructor)) static void latent_tune_malloc(void) {
	const int big = 1 << 30;
	mallopt(M_MMAP_THRESHOLD, big);
	mallopt(M_TRIM_THRESHOLD, big);
}
*/
import "C"

// ReleaseFree returns the memory that malloc holds free to the system
// (glibc's malloc_trim): the temporaries of graphs that have finished. The
// next executions fault in what they need again, once.
func ReleaseFree() { C.malloc_trim(0) }
