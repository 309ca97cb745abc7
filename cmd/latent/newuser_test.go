package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
)

// The rough edges a new user met on a second pass (issue 38), each with
// its test.

// TestWhichBeyondClassIsUsage: --which past a class's images is a usage
// error (exit 2) naming the flag and how many images the class has.
func TestWhichBeyondClassIsUsage(t *testing.T) {
	s := &data.Split{Labels: []int{1, 3, 3, 0}, N: 4}
	_, err := pickByLabel(s, []string{"0", "1", "2", "3"}, "--image-label", "3", 5000)
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "--which 5000") || !strings.Contains(err.Error(), "holds 2 images") {
		t.Errorf("pickByLabel(3, --which 5000): %v; want a usage error naming --which 5000 and the class's 2 images", err)
	}
	dir := evRun(t)
	code, _, stderr := evLatent("neighbors", "--run", dir, "--image-label", "3", "--which", "5000", "-o", filepath.Join(t.TempDir(), "n.png"))
	if code != 2 || !strings.Contains(stderr, "--which 5000") {
		t.Errorf("neighbors --image-label 3 --which 5000: exit %d, stderr %q; want exit 2 naming --which 5000", code, stderr)
	}
}
