package main

import (
	"bytes"
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

// TestScoreKIDScale: the score table labels its KID column with the scale
// it prints (KID as is, ×1) and says it is not the ×10³ of papers.
func TestScoreKIDScale(t *testing.T) {
	rep := scoreReport{Run: "runs/x", Classes: []string{"0", "1"}, Reference: 10,
		Rows: []scoreRow{{Name: "samples: normal", N: 10, FID: 12.5, KID: 23.08, KIDStd: 1.5, Shares: []float64{0.5, 0.5}}}}
	var buf bytes.Buffer
	printScores(&buf, rep)
	header := ""
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "FID") && strings.Contains(line, "precision") {
			header = line
		}
	}
	if !strings.Contains(header, "KID×1 ") || !strings.Contains(buf.String(), "not ×10³") || !strings.Contains(buf.String(), " 23.0800 ") {
		t.Errorf("score table: want a KID×1 column holding 23.0800 and a line saying it is not ×10³:\n%s", buf.String())
	}
}
