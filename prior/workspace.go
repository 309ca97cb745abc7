package prior

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/runlock"
)

// Workspace is a prior fit under way: it holds the lock of one kind of a
// run's priors (RUN/priors/.KIND.lock, outside the folder it replaces) and
// fits into RUN/priors/.KIND.partial, which Commit puts in place of
// RUN/priors/KIND whole (checkpoints, metrics.csv and config together). Until
// then the prior in use is untouched; an interrupted fit stays in the partial
// folder, where a resumed one continues it.
type Workspace struct {
	Kind  string
	Final string // RUN/priors/KIND
	Dir   string // RUN/priors/.KIND.partial: where the fit writes
	// Done is the steps of the fit a resumed workspace continues, and
	// Saved its config; 0 and nil for a new fit.
	Done  int64
	Saved *Config
	lock  *runlock.Lock
	made  bool // the partial folder is this workspace's: new, or a copy of the prior in place
}

// PartialDir is the folder where a fit of kind runs until it is committed.
func PartialDir(runDir, kind string) string {
	return filepath.Join(runDir, "priors", "."+kind+".partial")
}

// Begin locks runDir's priors of kind and prepares the partial folder. A new
// fit starts it empty (an interrupted fit left there is discarded); with
// resume, the fit continues an interrupted one, else a copy of the prior in
// place. Nothing to continue is an error. A held lock is an error naming the
// holder.
func Begin(runDir, kind string, resume bool) (*Workspace, error) {
	w := &Workspace{Kind: kind, Final: Dir(runDir, kind), Dir: PartialDir(runDir, kind)}
	if err := w.acquire(runDir); err != nil {
		return nil, err
	}
	if err := w.prepare(resume); err != nil {
		w.lock.Release()
		return nil, err
	}
	return w, nil
}

// Hold takes the lock of runDir's prior of kind, as a fit does, for a
// change to the prior in place (its score stored): a workspace whose Dir
// is the prior's own folder, which is never committed.
func Hold(runDir, kind string) (*Workspace, error) {
	w := &Workspace{Kind: kind, Final: Dir(runDir, kind), Dir: Dir(runDir, kind)}
	if err := w.acquire(runDir); err != nil {
		return nil, err
	}
	return w, nil
}

// acquire takes w's lock.
func (w *Workspace) acquire(runDir string) error {
	root := filepath.Dir(w.Final)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", root, err)
	}
	lock, err := runlock.AcquireFile(filepath.Join(root, "."+w.Kind+".lock"))
	var held *runlock.HeldError
	if errors.As(err, &held) {
		return fmt.Errorf("the %s prior of run %s is being fitted by process %d (lock %s); wait for it to end", w.Kind, runDir, held.PID, held.Dir)
	} else if err != nil {
		return err
	}
	w.lock = lock
	return nil
}

// prepare readies the partial folder, once the lock is held.
func (w *Workspace) prepare(resume bool) error {
	if err := recoverSwap(w.Final, w.old()); err != nil {
		return err
	}
	if !resume {
		if err := os.RemoveAll(w.Dir); err != nil {
			return fmt.Errorf("removing an earlier partial fit: %w", err)
		}
		w.made = true
		return mkdir(w.Dir)
	}
	if !hasCheckpoint(w.Dir) {
		if !hasCheckpoint(w.Final) {
			return fmt.Errorf("--resume: %s holds no %s prior to continue; fit one without --resume", w.Final, w.Kind)
		}
		w.made = true
		if err := copyFolder(w.Final, w.Dir); err != nil {
			os.RemoveAll(w.Dir)
			return err
		}
	}
	ck, _, err := checkpoints.Latest(w.Dir)
	if err != nil {
		w.Abandon()
		return fmt.Errorf("--resume: %w", err)
	}
	cfg, err := savedConfig(ck, w.Kind)
	if err != nil {
		w.Abandon()
		return err
	}
	w.Done, w.Saved = ck.Step, &cfg
	return nil
}

// Commit puts the partial folder in place of the prior's, at once where the
// system can exchange two folders, and removes the old prior.
func (w *Workspace) Commit() error {
	if _, err := os.Lstat(w.Final); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(w.Dir, w.Final); err != nil {
			return fmt.Errorf("putting the new prior in place: %w", err)
		}
		return nil
	}
	if err := exchange(w.Dir, w.Final, w.old()); err != nil {
		return fmt.Errorf("putting the new prior in %s: %w", w.Final, err)
	}
	if err := os.RemoveAll(w.Dir); err != nil { // the old prior, now
		return fmt.Errorf("removing the old prior: %w", err)
	}
	return nil
}

// Abandon ends a fit that saved nothing worth resuming: it removes the
// partial folder if this workspace made it, and keeps an interrupted fit
// that an earlier one left there.
func (w *Workspace) Abandon() {
	if w.made {
		os.RemoveAll(w.Dir)
	}
}

// Release unlocks. It is safe to call twice.
func (w *Workspace) Release() { w.lock.Release() }

// old is where a swap without an exchange parks the old prior.
func (w *Workspace) old() string {
	return filepath.Join(filepath.Dir(w.Final), "."+w.Kind+".old")
}

// swapByRenames replaces final by dir in two renames, parking final at old
// (recoverSwap finishes a swap a crash cut short), and leaves the old prior
// at dir.
func swapByRenames(dir, final, old string) error {
	if err := os.Rename(final, old); err != nil {
		return err
	}
	if err := os.Rename(dir, final); err != nil {
		os.Rename(old, final)
		return err
	}
	return os.Rename(old, dir)
}

// recoverSwap finishes a two-rename swap cut short: an old prior parked at
// old goes back in place if none took it, else away.
func recoverSwap(final, old string) error {
	if _, err := os.Lstat(old); err != nil {
		return nil
	}
	if _, err := os.Lstat(final); err == nil {
		return os.RemoveAll(old)
	}
	if err := os.Rename(old, final); err != nil {
		return fmt.Errorf("restoring the prior parked in %s: %w", old, err)
	}
	return nil
}

// hasCheckpoint reports whether dir holds a checkpoint file.
func hasCheckpoint(dir string) bool {
	names, err := checkpoints.List(dir)
	return err == nil && len(names) > 0
}

// mkdir creates dir (0o755).
func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	return nil
}

// copyFolder copies the regular files of src (its lock file aside) into a
// new folder dst.
func copyFolder(src, dst string) error {
	if err := mkdir(dst); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || e.Name() == runlock.FileName {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies one file.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return nil
}
