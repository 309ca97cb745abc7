//go:build !(linux && cgo)

package backend

// keepFreedMemory does nothing where glibc's mallopt is not available.
func keepFreedMemory() {}
