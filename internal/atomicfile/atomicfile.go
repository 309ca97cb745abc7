// Package atomicfile writes files so that readers see either the old content
// or the whole new content, never a partial file: data goes to a temporary
// file in the same folder, is synced, then renamed over the target.
//
// Targets. Only a regular file, or a path where nothing exists yet, is
// written. A symlink is followed: its regular-file target is replaced and the
// link stays. A folder, named pipe, socket or device, or a symlink to one of
// them or to nothing, is refused with an error naming the path and what it is.
//
// Permissions. Replacing a file keeps its permission bits; a new file gets
// 0666 less the process's umask, as with os.Create.
//
// Temporary files are named .<base>.tmp-<pid>-<random>, <pid> being the
// writer's process id. A Write that fails removes its temporary file. One left
// by a writer that was killed outright (SIGKILL, power loss) is removed by the
// next Write to the same target once no process with that id is alive. To
// leave nothing behind on SIGINT or SIGTERM, write with WriteContext and a
// context cancelled by the signal (signal.NotifyContext): the temporary file
// is removed at once and WriteContext returns before replacing the target.
package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Write calls fill with a temporary file in path's folder and, if fill
// succeeds, syncs it and renames it to path. On any error the temporary file
// is removed and path is left untouched.
func Write(path string, fill func(w io.Writer) error) error {
	return WriteContext(context.Background(), path, fill)
}

// WriteBytes writes data to path atomically.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteContext is Write that gives up when ctx is done: the temporary file is
// removed as soon as ctx is cancelled, even while fill runs (fill's further
// writes go to the removed file), path is left untouched and the error wraps
// the context's cause.
func WriteContext(ctx context.Context, path string, fill func(w io.Writer) error) error {
	return write(ctx, path, 0o666, fill)
}

// WriteMode is Write that creates a new file with the permission bits mode
// less the umask, such as 0755 for a shared library; a replaced file keeps
// its own.
func WriteMode(path string, mode fs.FileMode, fill func(w io.Writer) error) error {
	return write(context.Background(), path, mode.Perm(), fill)
}

// write is WriteContext creating a new file with perm less the umask.
func write(ctx context.Context, path string, perm fs.FileMode, fill func(w io.Writer) error) (err error) {
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	target, existing, err := resolve(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	sweep(dir, filepath.Base(target))
	if existing != nil {
		perm = existing.Mode().Perm()
	}
	tmp, err := createTemp(dir, filepath.Base(target), perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	stop := context.AfterFunc(ctx, func() { os.Remove(tmp.Name()) })
	defer func() {
		if err != nil {
			stop()
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = finish(tmp, existing != nil, perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if !stop() {
		return fmt.Errorf("writing %s: %w", path, context.Cause(ctx))
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	return syncDir(dir)
}

// finish gives a replacement the old file's exact permission bits (its
// creation applied the umask), then syncs and closes it.
func finish(tmp *os.File, replacing bool, perm fs.FileMode) error {
	if replacing {
		if err := tmp.Chmod(perm); err != nil {
			return err
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	return tmp.Close()
}

// resolve returns the file to replace: path itself, or the regular file a
// symlink at path points to, with its FileInfo (nil when nothing exists).
func resolve(path string) (string, fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("writing %s: %w", path, err)
	}
	target := path
	if fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return "", nil, fmt.Errorf("refusing to write %s: it is a symlink that does not resolve: %w", path, err)
		}
		if fi, err = os.Stat(target); err != nil {
			return "", nil, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if !fi.Mode().IsRegular() {
		what := kind(fi.Mode())
		if target != path {
			what = "a symlink to " + target + ", " + what
		}
		return "", nil, fmt.Errorf("refusing to write %s: it is %s, not a regular file", path, what)
	}
	return target, fi, nil
}

// kind names the type of a file that is not regular.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file (" + m.Type().String() + ")"
}

// tempPrefix starts the names of base's temporary files.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// createTemp creates a new temporary file for base in dir with perm less the
// umask (the kernel applies it, so no racy syscall.Umask is needed).
func createTemp(dir, base string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		name := fmt.Sprintf("%s%d-%08x", tempPrefix(base), os.Getpid(), rand.Uint32())
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no unused temporary name for %s in %s", base, dir)
}

// sweep removes, best effort, the temporary files for base in dir whose
// writer process is gone.
func sweep(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if pid, ok := tempPID(e.Name(), base); ok && pid != os.Getpid() && processGone(pid) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// tempPID parses the writer's pid out of a temporary file name for base.
func tempPID(name, base string) (int, bool) {
	rest, ok := strings.CutPrefix(name, tempPrefix(base))
	if !ok {
		return 0, false
	}
	pidText, random, ok := strings.Cut(rest, "-")
	if !ok || random == "" || strings.Trim(random, "0123456789abcdef") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(pidText)
	return pid, err == nil && pid > 0
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil // best effort: some filesystems cannot open folders
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}
