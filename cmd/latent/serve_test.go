package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latent-vae/latent/serve"
)

func TestServeFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "--run: a run folder is required"},
		{[]string{"--run", "x", "--addr", "8080"}, `--addr "8080": want host:port`},
		{[]string{"--run", "x", "extra"}, "unexpected arguments"},
		{[]string{"--run", t.TempDir() + "/none"}, "not a run folder"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := runErr(append([]string{"serve"}, tt.args...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("latent serve %q: got %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestAddrWarning(t *testing.T) {
	tests := []struct {
		addr string
		warn bool
	}{
		{"127.0.0.1:8080", false},
		{"localhost:0", false},
		{"[::1]:8080", false},
		{"127.0.0.2:80", false},
		{":8080", true},
		{"0.0.0.0:8080", true},
		{"192.168.1.5:8080", true},
		{"example.com:80", true},
	}
	for _, tt := range tests {
		w := serve.AddrWarning(tt.addr)
		if (w != "") != tt.warn || tt.warn && !strings.Contains(w, "no authentication") {
			t.Errorf("serve.AddrWarning(%q) = %q, want a warning: %v", tt.addr, w, tt.warn)
		}
	}
}

// servedLatent is a `latent serve` process and the URL it serves at.
type servedLatent struct {
	cmd    *exec.Cmd
	url    string
	stdout *bufio.Scanner
	stderr *bytes.Buffer
}

var urlLine = regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/)`)

// startServe runs `latent serve` on runDir at a free loopback port and waits
// for the URL it prints. The process is stopped at the test's end.
func startServe(t *testing.T, runDir string, extra ...string) *servedLatent {
	t.Helper()
	s := &servedLatent{stderr: &bytes.Buffer{}}
	s.cmd = latentCmd(nil, append([]string{"serve", "--run", runDir, "--addr", "127.0.0.1:0", genBackendF}, extra...)...)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	s.stdout = bufio.NewScanner(out)
	for s.stdout.Scan() {
		if m := urlLine.FindStringSubmatch(s.stdout.Text()); m != nil {
			s.url = m[1]
			return s
		}
	}
	_ = s.cmd.Wait()
	t.Fatalf("latent serve printed no URL; stderr:\n%s", s.stderr)
	return nil
}

// stop sends SIGTERM and returns the exit code and the rest of stdout.
func (s *servedLatent) stop(t *testing.T) (int, string) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest strings.Builder
	for s.stdout.Scan() {
		rest.WriteString(s.stdout.Text() + "\n")
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("latent serve did not stop within 30 s of SIGTERM")
	}
	return s.cmd.ProcessState.ExitCode(), rest.String()
}

// TestServeShutdown starts `latent serve` on a tiny run's first 5 test
// images, asks its API, and stops it with SIGTERM: it must exit 0 after a
// graceful shutdown.
func TestServeShutdown(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	s := startServe(t, runDir, "--limit", "5")
	resp, err := http.Get(s.url + "api/info")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var info struct {
		Latent     int `json:"latent"`
		TestImages int `json:"test_images"`
	}
	if err := json.Unmarshal(body, &info); err != nil || resp.StatusCode != 200 || info.Latent != 2 || info.TestImages != 5 {
		t.Fatalf("GET /api/info: %d %s; want a 2-D latent and 5 test images (--limit 5)", resp.StatusCode, body)
	}
	if code, rest := s.stop(t); code != 0 || !strings.Contains(rest, "shut down") {
		t.Errorf("after SIGTERM: exit %d, stdout %q; stderr:\n%s", code, rest, s.stderr)
	}
	if strings.Contains(s.stderr.String(), "no authentication") {
		t.Errorf("a loopback address warned: %s", s.stderr)
	}
}

// TestServeDataErrors checks --data and --limit against a real run before
// anything is served.
func TestServeDataErrors(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	missing := t.TempDir() + "/missing"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--data", missing}, "--data " + missing + ": data set"},
		{[]string{"--limit", "1"}, "the map needs at least 2 test images, got 1"},
		{[]string{"--limit", "-1"}, "--limit -1"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := runErr(append([]string{"serve", "--run", runDir, genBackendF}, tt.args...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("latent serve %q: got %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestServeHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "--addr") {
		t.Errorf("latent serve --help: exit %d, stdout %q; want the flags on stdout", code, out.String())
	}
	out.Reset()
	if run(nil, &out, &errb); !strings.Contains(out.String(), "serve ") {
		t.Errorf("latent's usage does not list serve: %q", out.String())
	}
}
