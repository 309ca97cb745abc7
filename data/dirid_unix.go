//go:build unix

package data

import (
	"fmt"
	"io/fs"
	"syscall"
)

// dirID identifies a folder whatever path reaches it: its device and inode.
type dirID struct{ dev, ino uint64 }

// folderID returns the identity of the folder at path, whose os.Stat is info.
func folderID(path string, info fs.FileInfo) (dirID, error) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return dirID{}, fmt.Errorf("no device and inode for %s", path)
	}
	return dirID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}
