package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFactorsRefusals: usage errors exit 2 naming the flag; a run whose
// data has no factors is refused in one line naming --data, as is `map
// --color-by` on it.
func TestFactorsRefusals(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"factors"}, 2, "--run: a run folder is required"},
		{[]string{"factors", "--run", runDir, "--train", "1"}, 2, "--train 1: want 2 to"},
		{[]string{"factors", "--run", runDir, "--eval", "0"}, 2, "--eval 0"},
		{[]string{"factors", "--run", runDir, "--vote-batch", "1"}, 2, "--vote-batch 1"},
		{[]string{"factors", "--run", runDir, "-o", filepath.Join(out, "mi.txt")}, 2, "-o"},
		{[]string{"factors", "--run", runDir, "-o", "-", "--json"}, 2, "-o - and --json"},
		{[]string{"factors", "--run", runDir, "--train", "50", "--eval", "20"}, 1, "has no factors"},
		{[]string{"map", "--run", runDir, "--color-by", "x", "-o", filepath.Join(out, "m.png")}, 2, "--color-by x: --data"},
		{[]string{"map", "--run", runDir, "--manifold", "--color-by", "x", "-o", filepath.Join(out, "m.png")}, 2, "--color-by"},
	}
	for _, c := range cases {
		code, _, stderr := runLatent(t, nil, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("latent %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
		if c.code == 1 && strings.Count(strings.TrimSpace(stderr), "\n") > 2 {
			t.Errorf("latent %s: the refusal takes more than one line:\n%s", strings.Join(c.args, " "), stderr)
		}
	}
}
