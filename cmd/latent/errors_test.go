package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latent-vae/latent/internal/runlock"
)

// TestFriendlyErrors: a misspelt flag gets a "did you mean", a run folder
// given as an argument is steered to --run, a missing run folder is said
// in words, and ranges read as people write them.
func TestFriendlyErrors(t *testing.T) {
	run := t.TempDir()
	evWriteFile(t, filepath.Join(run, "config.json"), "{}")
	nope := filepath.Join(t.TempDir(), "nope")
	for _, c := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"sample", "--rn", run}, "flag provided but not defined: --rn; did you mean --run?", ""},
		{[]string{"eval", "--run", run, "--iww", "3"}, "did you mean --iw?", ""},
		{[]string{"map", "--run", run, "--manifld"}, "did you mean --manifold?", ""},
		{[]string{"sample", "--zzzzzz"}, "flag provided but not defined: --zzzzzz", "did you mean"},
		{[]string{"sample", run}, "it is a run folder; give it as --run " + run, ""},
		{[]string{"sample", "--run", nope}, "not a run folder: " + nope + " does not exist", "stat "},
		{[]string{"plot", "--run", nope}, "not a run folder: " + nope + " does not exist", "stat "},
		{[]string{"export", "--run", nope}, "not a run folder: " + nope + " does not exist", "stat "},
		{[]string{"sample", "--run", run, "--temperature", "-2"}, "--temperature -2: want ≥ 0", "3.4028234663852886e+38"},
		{[]string{"eval", "--run", run, "--limit", "-1"}, "--limit -1: want ≥ 0", ""},
		{[]string{"serve", "--run", run, "--method", "isomap"}, `--method "isomap": want pca, tsne or umap`, ""},
		{[]string{"train", "--out", nope, "--beta", "-1"}, "--beta -1: want a finite weight ≥ 0", ""},
	} {
		code, _, stderr := evLatent(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || (c.not != "" && strings.Contains(stderr, c.not)) {
			t.Errorf("latent %s: exit %d, stderr %q; want %q (and not %q)", strings.Join(c.args, " "), code, stderr, c.want, c.not)
		}
	}
}

// TestResumeFinishedRun: --resume on a run at its end says so and names
// the flag that extends it, exits 0 and changes no file.
func TestResumeFinishedRun(t *testing.T) {
	dir := evRun(t) // at its end: step 30 of 30
	before := folderState(t, dir)
	time.Sleep(10 * time.Millisecond)
	code, stdout, stderr := evLatent("train", "--out", dir, "--resume")
	if code != 0 || !strings.Contains(stdout, "is finished") || !strings.Contains(stdout, "step 30 of 30") ||
		!strings.Contains(stdout, "latent train --out "+dir+" --resume --epochs") {
		t.Errorf("resume of a finished run: exit %d, stdout %q, stderr %q; want it to say it is finished and how to extend it", code, stdout, stderr)
	}
	if strings.Contains(stdout, "images/s") {
		t.Errorf("resume of a finished run reports a speed: %q", stdout)
	}
	if after := folderState(t, dir); after != before {
		t.Errorf("resume of a finished run changed its folder:\nbefore %s\nafter  %s", before, after)
	}
}

// folderState describes the run files of dir: names, sizes and times (the
// lock file left out).
func folderState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || e.Name() == runlock.FileName {
			continue
		}
		fmt.Fprintf(&b, "%s %v %d; ", e.Name(), info.ModTime(), info.Size())
	}
	return b.String()
}
