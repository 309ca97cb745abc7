//go:build linux && cgo

// Package malloc tunes glibc's malloc for XLA's CPU runtime and returns
// the memory it holds free to the system. Importing it (backend does, for
// every program that runs graphs) installs the tuning.
package malloc

// glibc's malloc is tuned when the program loads (latent_tune_malloc, a C
// constructor) for XLA's CPU runtime: large blocks are served from malloc's
// heap, freed memory is not returned to the system, and every thread
// allocates from one arena. XLA allocates and frees its temporaries on every
// execution; with glibc's defaults each large block was a fresh mmap, so
// every training step paid for page faults and zeroing (17% of a step's
// time in the kernel). Measured on 2 cores: +15–25% images/s. The
// thresholds alone did not reach the blocks that XLA's worker threads
// allocate: glibc gives such a thread an arena of its own, a 64 MB heap that
// is unmapped whole when its blocks are freed and mapped again at the next
// execution, so the transformer prior's fit still spent a third of its time
// faulting pages in; one arena (M_ARENA_MAX 1) keeps them on the main heap,
// where the thresholds hold (bench/malloc.sh). Memory then stays at its peak
// instead of shrinking, so a program that moves between graphs of different
// sizes (training steps, then a test evaluation of larger batches) calls
// ReleaseFree between them. A GLIBC_TUNABLES that sets
// glibc.malloc.arena_max is left to decide the arenas.

/*
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void latent_tune_malloc(void) {
	const int big = 1 << 30;
	mallopt(M_MMAP_THRESHOLD, big);
	mallopt(M_TRIM_THRESHOLD, big);
	const char *t = getenv("GLIBC_TUNABLES");
	if (t == NULL || strstr(t, "glibc.malloc.arena_max") == NULL) {
		mallopt(M_ARENA_MAX, 1);
	}
}

// latent_malloc_info writes malloc_info's XML into a buffer the caller frees.
static char *latent_malloc_info(size_t *n) {
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);
	if (f == NULL) {
		return NULL;
	}
	malloc_info(0, f);
	fclose(f);
	return buf;
}
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// ReleaseFree returns the memory that malloc holds free to the system
// (glibc's malloc_trim): the temporaries of graphs that have finished. The
// next executions fault in what they need again, once.
func ReleaseFree() { C.malloc_trim(0) }

// Arenas is how many arenas glibc's malloc has made in this process (the
// heaps malloc_info lists): 1 while the tuning holds, however many threads
// have allocated.
func Arenas() (int, error) {
	var n C.size_t
	buf := C.latent_malloc_info(&n)
	if buf == nil {
		return 0, errors.New("malloc_info: open_memstream failed")
	}
	defer C.free(unsafe.Pointer(buf))
	return strings.Count(C.GoStringN(buf, C.int(n)), "<heap nr="), nil
}
