//go:build unix

package runlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Acquire locks dir, which must exist, for this process and records its pid
// in dir/.lock. It does not wait: if the folder is held, the error is a
// *HeldError naming the holder.
func Acquire(dir string) (*Lock, error) {
	return acquire(dir, filepath.Join(dir, FileName))
}

// AcquireFile locks the lock file path (created if missing, in a folder that
// must exist) as Acquire locks a folder's: for what a folder's own lock file
// cannot guard, such as a folder that is replaced whole. A held lock's
// *HeldError names path.
func AcquireFile(path string) (*Lock, error) { return acquire(path, path) }

// acquire locks the lock file path on behalf of dir, the name a *HeldError gives.
func acquire(dir, path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Dir: dir, PID: holder(path)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	l := &Lock{f: f}
	if err := l.record(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
		l.Release()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return l, nil
}

// Release clears the recorded pid and unlocks. It is safe to call twice.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.record("")
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	if err != nil {
		return fmt.Errorf("unlocking run folder: %w", err)
	}
	return nil
}

// record replaces the lock file's content.
func (l *Lock) record(s string) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(s), 0)
	return err
}

// holder reads the pid recorded in a held lock file, waiting briefly for a
// holder that has locked it but not yet written its pid.
func holder(path string) int {
	for range 20 {
		data, _ := os.ReadFile(path)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 0 {
			return pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}
