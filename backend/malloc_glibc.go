//go:build linux && cgo

package backend

/*
#include <malloc.h>
*/
import "C"

// keepFreedMemory tells glibc's malloc to serve large blocks from its heap
// and not to return freed memory to the system. XLA's CPU runtime allocates
// and frees its temporaries on every execution; with glibc's defaults each
// large block is a fresh mmap, so every training step paid for page faults
// and zeroing (17% of a step's time in the kernel). Measured on 2 cores:
// +15–25% images/s. Memory stays at its peak instead of shrinking.
func keepFreedMemory() {
	const big = 1 << 30
	C.mallopt(C.M_MMAP_THRESHOLD, big)
	C.mallopt(C.M_TRIM_THRESHOLD, big)
}
