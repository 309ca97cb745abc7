package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/pjrtplugin"
)

func TestSetup(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/simple" // nothing listens there
	l.Close()
	installed := t.TempDir()
	for _, name := range []string{pjrtplugin.PluginName, pjrtplugin.StampName} {
		if err := os.WriteFile(filepath.Join(installed, name), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	empty := filepath.Join(t.TempDir(), "go-xla")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stdout+stderr
	}{
		{"help", []string{"--help"}, 0, []string{"--index-url", "--force", "--dir"}},
		{"already installed, no network touched", []string{"--dir", installed, "--index-url", closed}, 0, []string{"already installed", installed}},
		{"no network", []string{"--dir", empty, "--index-url", closed}, 1, []string{"could not reach 127.0.0.1", "PJRT_PLUGIN_LIBRARY_PATH", "copy " + pjrtplugin.PluginName}},
		{"force goes to the network", []string{"--dir", installed, "--index-url", closed, "--force"}, 1, []string{"could not reach"}},
		{"dir is a file", []string{"--dir", file}, 1, []string{"--dir " + file + ": is a file"}},
		{"stray argument", []string{"now"}, 2, []string{"unexpected arguments"}},
		// the size comes first, before the free-space check and the network
		{"cuda", []string{"--cuda", "--dir", empty, "--index-url", closed}, 1, []string{"CUDA 13: 13 wheels, 2.30 GB to download"}},
		{"cuda 12", []string{"--cuda", "12", "--dir", empty, "--index-url", closed}, 1, []string{"CUDA 12: 12 wheels, 2.93 GB to download"}},
		{"cuda, no network", []string{"--cuda", "--plugin-only", "--dir", empty, "--index-url", closed}, 1,
			[]string{"CUDA 13: 1 wheels, 0.13 GB to download", "could not reach 127.0.0.1", "latent setup --cuda 13 --dir DIR"}},
		{"cuda=12 plugin only", []string{"--cuda=12", "--plugin-only", "--dir", empty, "--index-url", closed}, 1,
			[]string{"CUDA 12: 1 wheels, 0.19 GB to download", "could not reach"}},
		{"cuda=11", []string{"--cuda=11", "--dir", empty}, 2, []string{"--cuda", "want 13 (driver >= 580) or 12"}},
		{"cuda 11", []string{"--cuda", "11", "--dir", empty}, 2, []string{`invalid value "11" for flag --cuda: want 13 (driver >= 580) or 12`}},
		{"plugin only without cuda", []string{"--plugin-only", "--dir", empty}, 2, []string{"--plugin-only: only with --cuda"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"setup"}, tc.args...), &out, &errb)
			all := out.String() + errb.String()
			for _, w := range tc.want {
				if code != tc.wantCode || !strings.Contains(all, w) {
					t.Errorf("latent setup %v: exit %d, output %q; want exit %d and %q", tc.args, code, all, tc.wantCode, w)
				}
			}
		})
	}
	if names, _ := os.ReadDir(empty); len(names) != 0 {
		t.Errorf("a failed setup left %d files in %s", len(names), empty)
	}
}

// TestSetupCUDAInstalled: the real plugin that `make test` keeps in its
// cache is found installed without touching the network.
func TestSetupCUDAInstalled(t *testing.T) {
	dir := filepath.Dir(filepath.Dir(filepath.Dir(testenv.CUDAPlugin(t))))
	var out, errb bytes.Buffer
	args := []string{"setup", "--cuda", "--plugin-only", "--dir", dir, "--index-url", "http://127.0.0.1:1/simple"}
	code := run(args, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "CUDA 13 PJRT plugin (jax-cuda13-pjrt 0.12.0.1) already installed in "+filepath.Join(dir, "cuda13")) {
		t.Errorf("latent %v: exit %d, stdout %q, stderr %q; want already installed", args, code, out.String(), errb.String())
	}
}
