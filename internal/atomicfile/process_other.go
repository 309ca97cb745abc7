//go:build !unix

package atomicfile

// processGone cannot tell on this system, so no temporary file is swept.
func processGone(pid int) bool { return false }
