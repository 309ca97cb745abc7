package main

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/cli"
)

// TestAdviceNamesOnlyAcceptedFlags checks every sentinel error's advice,
// as each command prints it, against that command's flag set: every flag
// it names is one the command accepts, and a command that accepts the flag
// that resolves the error names it.
func TestAdviceNamesOnlyAcceptedFlags(t *testing.T) {
	flagRE := regexp.MustCompile(`--?[a-z][a-z0-9-]*`)
	named := map[string]int{} // how many commands name each hint's flag
	for name, fs := range commandFlags(t) {
		for _, h := range hints() {
			got := cli.Advice(hints(), fmt.Errorf("loading: %w", h.Err), fs)
			for _, f := range flagRE.FindAllString(got, -1) {
				if fs.Lookup(strings.TrimLeft(f, "-")) == nil {
					t.Errorf("latent %s advises %s on %q, a flag it does not accept: %q", name, f, h.Err, got)
				}
			}
			if fs.Lookup(h.Flag) != nil {
				named[h.Flag]++
				if !strings.Contains(got, "--"+h.Flag) {
					t.Errorf("latent %s accepts --%s but its advice on %q does not name it: %q", name, h.Flag, h.Err, got)
				}
			}
		}
	}
	for _, h := range hints() {
		if named[h.Flag] == 0 {
			t.Errorf("no command accepts --%s, the flag of the advice on %q", h.Flag, h.Err)
		}
	}
	if got := cli.Advice(hints(), errors.New("other"), nil); got != "" {
		t.Errorf("advice on an error with no hint: %q, want none", got)
	}
}

// TestAnomalyMixedSizesAdvice: `latent anomaly --ood FOLDER` with images of
// two sizes fails naming the folder, and advises no flag that anomaly does
// not accept (it once advised --image-size).
func TestAnomalyMixedSizesAdvice(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	mixed := t.TempDir()
	for i, side := range []int{genSide, genSide + 2, genSide} {
		writePNGFile(t, filepath.Join(mixed, fmt.Sprintf("%d.png", i)), image.NewGray(image.Rect(0, 0, side, side)))
	}
	code, _, stderr := evLatent("anomaly", "--run", runDir, "--ood", mixed, "-o", filepath.Join(t.TempDir(), "w.png"))
	if code != 1 || !strings.Contains(stderr, "--ood "+mixed) || !strings.Contains(stderr, "images differ in size") {
		t.Fatalf("anomaly --ood with mixed sizes: exit %d, stderr %q; want exit 1 naming --ood and the folder", code, stderr)
	}
	if strings.Contains(stderr, "--image-size") || !strings.Contains(stderr, "resize the images") {
		t.Errorf("anomaly's advice on mixed sizes: %q; want no --image-size, which anomaly does not accept", stderr)
	}
}

// TestTrainRefusesAnEmptySplit: a one-image folder leaves the test split
// empty whatever --test-fraction says; train refuses before the first
// step, naming the counts and --test-fraction, and leaves no run folder.
func TestTrainRefusesAnEmptySplit(t *testing.T) {
	needMNISTAndXLA(t)
	one := evImageFolder(t, 1, 28, 28, false)
	for _, extra := range [][]string{nil, {"--test-fraction", "0.9"}, {"--test-fraction", "0.01", "--batch-size", "1"}} {
		t.Run(strings.Join(append([]string{"one image"}, extra...), " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, stdout, stderr := evLatent(append([]string{"train", "--data", one, "--out", out, "--steps", "1"}, extra...)...)
			if code != 1 || !strings.Contains(stderr, "1 training and 0 test images") || !strings.Contains(stderr, "--test-fraction") {
				t.Errorf("training on one image: exit %d, stderr %q; want a refusal naming the counts and --test-fraction", code, stderr)
			}
			if strings.Contains(stdout+stderr, "step 1") {
				t.Errorf("training on one image ran a step before refusing:\n%s%s", stdout, stderr)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the refused start left %s behind (%v)", out, err)
			}
		})
	}
}
