//go:build linux

package prior

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the folders dir and final in one step (renameat2's
// RENAME_EXCHANGE), so a reader finds the old prior or the new one, never
// none; where the file system cannot, in two renames (see swapByRenames).
func exchange(dir, final, old string) error {
	err := unix.Renameat2(unix.AT_FDCWD, dir, unix.AT_FDCWD, final, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
		return swapByRenames(dir, final, old)
	}
	return err
}
