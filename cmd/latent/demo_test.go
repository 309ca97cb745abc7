package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoRecipe runs the commands of `make demo` after its training step
// (fit a prior, sample from it and from N(0, I), interpolate between random
// codes) on a tiny run, as the Makefile writes them, and checks each writes
// its output.
func TestDemoRecipe(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	var lines [][]string
	f, err := os.Open("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inDemo := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "demo:"):
			inDemo = true
		case inDemo && !strings.HasPrefix(line, "\t"):
			inDemo = false
		case inDemo && strings.HasPrefix(line, "\t$(BIN) "):
			line = strings.NewReplacer("$(RUN)", runDir, "out/", out+"/").Replace(strings.TrimPrefix(line, "\t$(BIN) "))
			lines = append(lines, strings.Fields(line))
		}
	}
	if len(lines) < 4 {
		t.Fatalf("found %d latent commands in make demo, want the prior fit, two samples and an interpolation", len(lines))
	}
	for _, args := range lines {
		if args[0] == "prior" {
			args = append(args, "--components", "2") // the tiny run has 20 codes
		}
		genMustRun(t, args...)
	}
	for _, name := range []string{"samples.png", "samples-normal.png", "interpolation.gif", "interpolation.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("make demo's %s: %v", name, err)
		}
	}
	genSameFilesNot(t, filepath.Join(out, "samples.png"), filepath.Join(out, "samples-normal.png"))
}

// genSameFilesNot fails when the files at a and b hold the same bytes.
func genSameFilesNot(t *testing.T, a, b string) {
	t.Helper()
	if string(mustRead(t, a)) == string(mustRead(t, b)) {
		t.Errorf("%s and %s are the same", a, b)
	}
}
