//go:build !(linux && cgo)

// Package malloc tunes glibc's malloc for XLA's CPU runtime and returns
// the memory it holds free to the system; elsewhere it does nothing.
package malloc

import "errors"

// ReleaseFree does nothing where glibc's malloc is not used.
func ReleaseFree() {}

// Arenas reports that glibc's malloc is not in use.
func Arenas() (int, error) { return 0, errors.New("glibc's malloc is not in use") }
