//go:build linux && cgo

package backend

// glibc's malloc is tuned when the program loads, before any thread
// allocates (latent_tune_malloc, a C constructor), for XLA's CPU runtime:
//
//   - Large blocks are served from malloc's heap, and freed memory is not
//     returned to the system. XLA allocates and frees its temporaries on
//     every execution; with glibc's defaults each large block was a fresh
//     mmap, so every training step paid for page faults and zeroing (17% of
//     a step's time in the kernel). Measured on 2 cores: +15–25% images/s.
//     Memory then stays at its peak instead of shrinking.
//   - One heap (arena) per core instead of glibc's up to 8: each of XLA's
//     threads kept its own heap at its own peak, and the demo's peak RSS
//     grew with every epoch's test evaluation (863, 885, 904, 916 MB over 3
//     epochs on 2 cores); one arena per core held it near 700 MB at the
//     same speed. glibc fixes its arena limit when a second arena is first
//     made, so this cannot wait for the backend to open. $MALLOC_ARENA_MAX,
//     when set, still decides.

/*
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void latent_tune_malloc(void) {
	const int big = 1 << 30;
	mallopt(M_MMAP_THRESHOLD, big);
	mallopt(M_TRIM_THRESHOLD, big);
	if (getenv("MALLOC_ARENA_MAX") == NULL) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		mallopt(M_ARENA_MAX, cores > 0 ? (int)cores : 1);
	}
}
*/
import "C"
