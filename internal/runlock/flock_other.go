//go:build !unix

package runlock

// Acquire cannot lock on this system: it returns a Lock that locks nothing.
func Acquire(dir string) (*Lock, error) { return &Lock{}, nil }

// AcquireFile cannot lock on this system: it returns a Lock that locks nothing.
func AcquireFile(path string) (*Lock, error) { return &Lock{}, nil }

// Release does nothing on this system.
func (l *Lock) Release() error { return nil }
