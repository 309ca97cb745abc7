package pjrtplugin

import (
	"strings"
	"testing"
)

// TestReports: an install names the plugin and its pinned wheel; a CUDA
// install names the release, the libraries unless plugin-only, what was
// downloaded and the driver it needs; nothing downloaded says so.
func TestReports(t *testing.T) {
	r := Result{Path: "/x/p.so"}
	if got, want := r.Report(), "installed XLA CPU PJRT plugin: /x/p.so ("+Package+" "+Version+", wheel SHA-256 verified)\n"; got != want {
		t.Errorf("Report = %q, want %q", got, want)
	}
	r.AlreadyInstalled = true
	if got := r.Report(); !strings.HasPrefix(got, "XLA CPU PJRT plugin already installed: /x/p.so") {
		t.Errorf("Report of an installed plugin = %q", got)
	}
	rel, err := CUDAReleaseFor(12)
	if err != nil {
		t.Fatal(err)
	}
	c := CUDAResult{Plugin: "/c/p.so", Dir: "/c", Wheels: 3, Bytes: 2.5e9}
	got := c.Report(rel, false)
	for _, want := range []string{"installed CUDA 12 PJRT plugin (", " NVIDIA library wheels in /c: 3 wheels, 2.50 GB downloaded", "plugin /c/p.so\n",
		"next: latent info --backend xla:cuda (needs an NVIDIA driver >= 525"} {
		if !strings.Contains(got, want) {
			t.Errorf("CUDA report %q lacks %q", got, want)
		}
	}
	c.AlreadyInstalled = true
	if got := c.Report(rel, true); strings.Contains(got, "NVIDIA") || !strings.HasSuffix(got, " already installed in /c (--force reinstalls)\n") {
		t.Errorf("plugin-only report of an installed release = %q", got)
	}
}
