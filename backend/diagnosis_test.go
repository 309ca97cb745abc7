package backend

import (
	"io"
	"strings"
	"testing"
)

// TestDiagnosisLines: no CUDA plugin is one line with the setup advice; the
// compile cache is named off, or with its folder and programs.
func TestDiagnosisLines(t *testing.T) {
	var b strings.Builder
	WriteCUDADiagnosis(&b, "", false)
	if got, want := b.String(), "cuda plugin:   not installed; "+CUDASetupAdvice+"\n"; got != want {
		t.Errorf("WriteCUDADiagnosis(not found) = %q, want %q", got, want)
	}
	if got := CacheLine(""); got != "off ($"+EnvCache+")" {
		t.Errorf("CacheLine(\"\") = %q, want off naming $%s", got, EnvCache)
	}
	dir := t.TempDir()
	if got, want := CacheLine(dir), dir+" (0 programs, 0.0 MB)"; got != want {
		t.Errorf("CacheLine(empty folder) = %q, want %q", got, want)
	}
}

// TestWriteInfo: the pure-Go backend is described with no plugin and its
// one device, and the versions name the GoMLX built in.
func TestWriteInfo(t *testing.T) {
	b, err := Open("go", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	var out strings.Builder
	b.WriteInfo(&out)
	for _, want := range []string{"backend:       go\n", "pjrt plugin:   none (pure-Go backend)\n", "device 0:      ", "go-xla:        " + GoXLA + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("WriteInfo lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "device 1:") {
		t.Errorf("WriteInfo names a second device of the pure-Go backend:\n%s", out.String())
	}
	out.Reset()
	WriteVersions(&out)
	if !strings.Contains(out.String(), "gomlx:       ") || !strings.Contains(out.String(), "pjrt plugin: ") {
		t.Errorf("WriteVersions: %q, want lines for GoMLX and the plugin", out.String())
	}
	if got := ModuleVersion("example.com/not/linked"); got != "unknown" {
		t.Errorf("ModuleVersion of a module not linked = %q, want unknown", got)
	}
}
