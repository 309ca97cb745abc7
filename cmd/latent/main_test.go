package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets tests run the latent command as a separate process: the test
// binary re-executes itself with LATENT_RUN_MAIN=1 and acts as `latent`.
func TestMain(m *testing.M) {
	if os.Getenv("LATENT_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// latentCmd returns a command running `latent args...` in a new process.
func latentCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "LATENT_RUN_MAIN=1"), env...)
	return cmd
}

// runLatent runs latent in a new process and returns its exit code and output.
func runLatent(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := latentCmd(env, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{nil, 0, "Commands:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"train", "--help"}, 0, "--resume"},
		{[]string{"train", "--no-such-flag"}, 1, "no-such-flag"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.wantCode || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("latent %v: exit %d, output %q; want exit %d and %q", tc.args, code, out.String()+errb.String(), tc.wantCode, tc.want)
		}
	}
}

// readPNG decodes the PNG file at path.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return img
}
