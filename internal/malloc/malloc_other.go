//go:build !(linux && cgo)

package backend

// ReleaseFreeMemory does nothing where glibc's malloc is not used.
func ReleaseFreeMemory() {}
