package backend

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cLibrary compiles C source into a shared library with the cgo compiler.
func cLibrary(t *testing.T, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	c, lib := filepath.Join(dir, name+".c"), filepath.Join(dir, name+".so")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(strings.TrimSpace(string(cc)), "-shared", "-fPIC", "-o", lib, c).CombinedOutput(); err != nil {
		t.Fatalf("compiling a test library: %v\n%s", err, out)
	}
	return lib
}

// realPlugin returns the installed XLA CPU plugin; without it the test is
// skipped, except with CI=true, where it fails.
func realPlugin(t *testing.T) string {
	t.Helper()
	path, ok := findPlugin("cpu")
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("XLA CPU plugin missing in CI")
		}
		t.Skip("XLA CPU plugin missing (run make setup)")
	}
	return path
}

// truncatedCopy writes a copy of src that keeps the given share of it, as an
// interrupted copy leaves it (sparse: only the first MiB holds src's bytes).
func truncatedCopy(t *testing.T, src, dst string, share float64) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fi, _ := in.Stat()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.CopyN(out, in, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := out.Truncate(int64(float64(fi.Size()) * share)); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pjrt_c_api_test_plugin.so")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestCheckPlugin(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
		want string // "" for a sound plugin
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.so") }, "no such file"},
		{"folder", func(t *testing.T) string { return t.TempDir() }, "not a regular file"},
		{"tiny", func(t *testing.T) string { return writeFile(t, []byte("\x7fELF")) }, "only 4 bytes"},
		{"random bytes", func(t *testing.T) string { return writeFile(t, randomBytes(64<<10)) }, "not a readable ELF"},
		{"ELF magic then garbage", func(t *testing.T) string {
			return writeFile(t, append([]byte("\x7fELF\x02\x01\x01"), randomBytes(64<<10)...))
		}, "ELF"},
		{"library without GetPjrtApi", func(t *testing.T) string {
			return cLibrary(t, "other", "int other(void) { return 1; }\n")
		}, "does not export GetPjrtApi"},
		{"GetPjrtApi not a function", func(t *testing.T) string {
			return cLibrary(t, "data", "int GetPjrtApi = 1;\n")
		}, "does not export GetPjrtApi"},
		{"truncated library", func(t *testing.T) string {
			lib, _ := os.ReadFile(cLibrary(t, "lib", "void *GetPjrtApi(void) { return 0; }\n"))
			return writeFile(t, lib[:len(lib)*3/4])
		}, "ELF"},
		{"real plugin cut in half", func(t *testing.T) string { // dlopen would die of SIGBUS
			dst := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
			truncatedCopy(t, realPlugin(t), dst, 0.5)
			return dst
		}, "truncated"},
		{"real plugin missing its last bytes", func(t *testing.T) string {
			dst := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
			truncatedCopy(t, realPlugin(t), dst, 0.99999)
			return dst
		}, "truncated"},
		{"sound library", func(t *testing.T) string {
			return cLibrary(t, "lib", "void *GetPjrtApi(void) { return 0; }\n")
		}, ""},
		{"real plugin", realPlugin, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t)
			err := CheckPlugin(path)
			if tc.want == "" {
				if err != nil {
					t.Errorf("CheckPlugin(%s) = %v, want nil", path, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckPlugin = %v, want an error naming %s and %q", err, path, tc.want)
			}
		})
	}
}

// TestOpenBadPlugin: a damaged plugin is never loaded. By default latent
// falls back to the pure-Go backend with a warning naming the file; an
// explicit choice is an error naming it.
func TestOpenBadPlugin(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
	truncatedCopy(t, realPlugin(t), bad, 0.5)
	t.Setenv(PluginPathEnvVar, dir)
	t.Setenv(EnvVar, "")

	var warn bytes.Buffer
	b, err := Open("", &warn)
	if err != nil {
		t.Fatalf("Open by default with a truncated plugin: %v, want the pure-Go fallback", err)
	}
	defer b.Finalize()
	if !b.Fallback || b.CanTrain() || !strings.Contains(warn.String(), bad) || !strings.Contains(warn.String(), "truncated") {
		t.Errorf("fallback %v, can train %v, warning %q: want the pure-Go backend and a warning naming %s", b.Fallback, b.CanTrain(), warn.String(), bad)
	}

	_, err = Open("xla:cpu", io.Discard)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "make setup") {
		t.Errorf("Open(xla:cpu) with a truncated plugin = %v, want an error naming %s with advice", err, bad)
	}
	random := writeFile(t, randomBytes(64<<10))
	_, err = Open("xla:"+random, io.Discard)
	if err == nil || !strings.Contains(err.Error(), random) || !strings.Contains(err.Error(), "not a readable ELF") {
		t.Errorf("Open of a random-bytes plugin = %v, want an error naming it", err)
	}
}

// TestOpenMessages: errors name where the choice came from and give advice
// that fits it; none names a CLI flag.
func TestOpenMessages(t *testing.T) {
	t.Setenv(PluginPathEnvVar, t.TempDir())
	tests := []struct {
		name, choice, env string
		want, notWant     []string
	}{
		{"cuda without plugin", "xla:cuda", "", []string{`backend "xla:cuda"`, "no CUDA plugin", "latent setup --cuda"}, []string{"make setup", "--backend"}},
		{"cpu without plugin", "xla:cpu", "", []string{`backend "xla:cpu"`, "make setup"}, []string{"cuda", "--backend"}},
		{"bad environment value", "", "tpu9", []string{`$GOMLX_BACKEND "tpu9"`, "unknown backend"}, []string{"--backend"}},
		{"bad choice", "tpu9", "go", []string{`backend "tpu9"`, "unknown backend"}, []string{"GOMLX_BACKEND", "--backend"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvVar, tc.env)
			_, err := Open(tc.choice, io.Discard)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q mentions %q", err, w)
				}
			}
		})
	}
}

func TestCanTrain(t *testing.T) {
	t.Setenv(EnvVar, "")
	b, err := Open("go", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if b.CanTrain() {
		t.Error("the pure-Go backend claims it can train")
	}
}

// TestPluginVersion checks what `latent version` reports: the installed
// plugin's PJRT API version, an error for a file that is no plugin, and no
// plugin found where the search path holds none.
func TestPluginVersion(t *testing.T) {
	v, err := PluginVersion(realPlugin(t))
	if err != nil || !regexp.MustCompile(`^\d+\.\d+$`).MatchString(v) {
		t.Errorf("PluginVersion of the installed plugin: %q, %v; want major.minor", v, err)
	}
	notPlugin := writeFile(t, randomBytes(minPluginSize*2))
	if v, err := PluginVersion(notPlugin); err == nil {
		t.Errorf("PluginVersion of random bytes: %q, want an error", v)
	}
	t.Setenv(PluginPathEnvVar, t.TempDir())
	if path, ok := LocatePlugin("cpu"); ok {
		t.Errorf("LocatePlugin in an empty folder: %s", path)
	}
}
