package backend

import (
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
