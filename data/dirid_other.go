//go:build !unix

package data

import (
	"io/fs"
	"path/filepath"
)

// dirID identifies a folder whatever path reaches it: its absolute path
// with symbolic links resolved (there is no inode to go by here).
type dirID struct{ path string }

// folderID returns the identity of the folder at path.
func folderID(path string, _ fs.FileInfo) (dirID, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return dirID{}, err
	}
	abs, err := filepath.Abs(real)
	return dirID{path: abs}, err
}
