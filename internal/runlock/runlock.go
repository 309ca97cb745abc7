// Package runlock keeps a run folder to one writer at a time. A process that
// trains into a folder holds an exclusive, non-blocking flock(2) lock on the
// folder's lock file, which records the holder's process id; a second writer
// is refused with that id. The kernel drops the lock when its holder exits,
// however it exits (SIGKILL included), so a lock is never left stale. The lock
// file itself stays in the folder: removing it would let two writers lock two
// different files.
//
// On systems without flock(2) (not unix) Acquire returns a Lock that locks
// nothing.
package runlock

import (
	"fmt"
	"os"
)

// FileName is the name of the lock file inside a run folder.
const FileName = ".lock"

// Lock is a held run-folder lock.
type Lock struct {
	f *os.File
}

// HeldError is returned by Acquire when another holder has the folder:
// another process, or an earlier Acquire in this one.
type HeldError struct {
	Dir string
	PID int // the holder's process id; 0 when it could not be read
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("run folder %s is being trained by process %d", e.Dir, e.PID)
	}
	return fmt.Sprintf("run folder %s is being trained by another process", e.Dir)
}
