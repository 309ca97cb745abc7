//go:build !linux

package prior

// exchange swaps the folders dir and final in two renames (see
// swapByRenames): this system has no exchanging rename.
func exchange(dir, final, old string) error { return swapByRenames(dir, final, old) }
