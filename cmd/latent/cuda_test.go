package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/backend/nvidia"
	"github.com/latent-vae/latent/internal/testenv"
)

// xlaNoise matches what the PJRT plugin (absl) and go-xla (klog) print on
// their own: "W1202 14:19:29.637545 12418 file.cc:86] ..." and absl's banner.
var xlaNoise = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|cuda_linux\.go|cudart_stub`)

// TestCUDANoDriver runs the real CUDA 13 plugin on a machine without an
// NVIDIA driver: `latent info` and `latent train` with --backend xla:cuda
// fail at once (within 10 s, never hanging), exit 1, name the "no NVIDIA
// driver" problem with its advice, and print none of XLA's log unless
// LATENT_XLA_LOG=1 asks for it.
func TestCUDANoDriver(t *testing.T) {
	plugin := testenv.CUDAPlugin(t)
	if nvidia.ProbeDriver().Loaded {
		t.Skip("this machine has an NVIDIA driver (libcuda.so.1 loads): the no-driver case cannot happen here")
	}
	env := []string{"PJRT_PLUGIN_LIBRARY_PATH=" + filepath.Dir(plugin), "LATENT_XLA_CACHE=off", "LATENT_XLA_LOG="}
	out := filepath.Join(t.TempDir(), "run")
	tests := []struct {
		name string
		args []string
		env  []string
		want []string // substrings of stdout+stderr
		log  bool     // XLA's log expected on stderr
	}{
		{"info", []string{"info", "--backend", "xla:cuda"}, nil,
			[]string{"no NVIDIA driver: libcuda.so.1 cannot be loaded", "install an NVIDIA driver >= 580", "--gpus all",
				"cuda plugin:   " + plugin + " (CUDA 13, PJRT API v0.", "nvidia files:  0 of 13 found", "missing"}, false},
		{"train", []string{"train", "--backend", "xla:cuda", "--data", "mnist", "--steps", "1", "--out", out}, nil,
			[]string{`--backend "xla:cuda": no NVIDIA driver`, "install an NVIDIA driver >= 580", "use --backend xla:cpu"}, false},
		{"info by path", []string{"info", "--backend", "xla:" + plugin}, nil,
			[]string{"no NVIDIA driver", "driver needed: >= 580 (CUDA 13)"}, false},
		{"info with XLA's log", []string{"info", "--backend", "xla:cuda"}, []string{"LATENT_XLA_LOG=1"},
			[]string{"no NVIDIA driver"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], tc.args...)
			cmd.Env = append(append(append(os.Environ(), "LATENT_RUN_MAIN=1"), env...), tc.env...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("latent %v still running after 10 s", tc.args)
			}
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			all := stdout.String() + stderr.String()
			if code != 1 {
				t.Errorf("latent %v: exit %d, want 1; output:\n%s", tc.args, code, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("latent %v: output lacks %q:\n%s", tc.args, w, all)
				}
			}
			if noise := xlaNoise.FindString(stderr.String()); (noise != "") != tc.log {
				t.Errorf("latent %v: XLA log on stderr %q, want it %v; stderr:\n%s", tc.args, noise, tc.log, stderr.String())
			}
			if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n"); !tc.log && lines > 0 {
				t.Errorf("latent %v: %d lines on stderr, want the one-line reason:\n%s", tc.args, lines+1, stderr.String())
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a train that could not open its backend created %s", out)
	}
}

// TestInfoDefaultWithCUDAPlugin: with --backend unset and a CUDA plugin
// installed on a machine without a driver, latent runs on XLA CPU, says why,
// and `latent info` adds the CUDA diagnosis.
func TestInfoDefaultWithCUDAPlugin(t *testing.T) {
	cuda := testenv.CUDAPlugin(t)
	if nvidia.ProbeDriver().Loaded {
		t.Skip("this machine has an NVIDIA driver")
	}
	cpu, ok := backend.LocatePlugin("cpu")
	if !ok {
		testenv.Missing(t, "XLA CPU plugin not installed")
	}
	dir := t.TempDir()
	for name, target := range map[string]string{"pjrt_c_api_cpu_plugin.so": cpu, "pjrt_c_api_cuda_plugin.so": cuda} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runLatent(t, []string{"PJRT_PLUGIN_LIBRARY_PATH=" + dir, "GOMLX_BACKEND=", "LATENT_XLA_CACHE=off", "LATENT_XLA_LOG="}, "info")
	for _, want := range []string{"backend:       xla:cpu\n", "chosen:        by default: CUDA plugin installed, but no NVIDIA driver: libcuda.so.1 cannot be loaded",
		"cuda plugin:   " + filepath.Join(dir, "pjrt_c_api_cuda_plugin.so") + " (CUDA 13, PJRT API v0.", "nvidia driver: not loadable", "cuda:          no NVIDIA driver"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("latent info: exit %d, stdout lacks %q:\n%s\nstderr: %s", code, want, out, errOut)
		}
	}
	if noise := xlaNoise.FindString(errOut); noise != "" {
		t.Errorf("latent info printed XLA's log %q:\n%s", noise, errOut)
	}
}

// TestInfoXLAFlags runs `latent info` with $XLA_FLAGS naming a flag the XLA
// CPU plugin does not know (which ends the plugin's process): it exits 1
// with one line on stderr naming $XLA_FLAGS and the flag, XLA's log off or
// on; and with --xla_cpu_max_isa=AVX2, which the plugin takes, it runs.
func TestInfoXLAFlags(t *testing.T) {
	if _, ok := backend.LocatePlugin("cpu"); !ok {
		testenv.Missing(t, "XLA CPU plugin not installed")
	}
	env := []string{"GOMLX_BACKEND=", "LATENT_XLA_CACHE=off"}
	for _, log := range []string{"", "1"} {
		code, out, errOut := runLatent(t, append(env, "XLA_FLAGS=--xla_bogus_flag=1", "LATENT_XLA_LOG="+log), "info", "--backend", "xla:cpu")
		var named []string
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		for _, line := range lines {
			if strings.Contains(line, "XLA_FLAGS") && strings.Contains(line, "--xla_bogus_flag=1") && strings.HasPrefix(line, "latent info: ") {
				named = append(named, line)
			}
		}
		if code != 1 || len(named) != 1 || (log == "" && len(lines) != 1) {
			t.Errorf("XLA_FLAGS=--xla_bogus_flag=1 LATENT_XLA_LOG=%q latent info: exit %d (want 1), %d lines on stderr, %d naming XLA_FLAGS and the flag (want one, and no other with the log off):\nstdout: %s\nstderr: %s",
				log, code, len(lines), len(named), out, errOut)
		} else if want := `latent info: --backend "xla:cpu": $XLA_FLAGS="--xla_bogus_flag=1": refused by the PJRT plugin `; !strings.HasPrefix(named[0], want) ||
			!strings.HasSuffix(named[0], ": Unknown flag in XLA_FLAGS: --xla_bogus_flag=1") {
			t.Errorf("latent info's line %q: want %q…: Unknown flag in XLA_FLAGS: --xla_bogus_flag=1", named[0], want)
		}
	}
	code, out, errOut := runLatent(t, append(env, "XLA_FLAGS=--xla_cpu_max_isa=AVX2", "LATENT_XLA_LOG="), "info", "--backend", "xla:cpu")
	if code != 0 || !strings.Contains(out, "backend:       xla:cpu\n") || errOut != "" {
		t.Errorf("XLA_FLAGS=--xla_cpu_max_isa=AVX2 latent info: exit %d, stdout:\n%s\nstderr: %s\nwant exit 0 on xla:cpu, nothing on stderr", code, out, errOut)
	}
}

// TestCUDAErrorAsREADMESays runs the README's example of a CUDA failure
// (`latent train --backend xla:cuda` with no CUDA plugin installed) and
// checks that its one line on stderr begins as the README's example does,
// with the problem's name from the README's table after the source of the
// choice; and that $GOMLX_BACKEND in place of --backend names itself.
func TestCUDAErrorAsREADMESays(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile("e\\.g\\.\\s+`(latent train: [^`]*?)…`").FindSubmatch(text)
	if example == nil {
		t.Fatal("README.md has no example of a CUDA failure (e.g. `latent train: … …`)")
	}
	prefix := strings.Join(strings.Fields(string(example[1])), " ")
	if !strings.HasPrefix(prefix, `latent train: --backend "xla:cuda": no CUDA plugin: `) {
		t.Fatalf("README.md's example %q does not show the command, --backend, then the problem", prefix)
	}
	env := []string{"PJRT_PLUGIN_LIBRARY_PATH=" + t.TempDir(), "LATENT_XLA_CACHE=off", "LATENT_XLA_LOG=", "GOMLX_BACKEND="}
	out := filepath.Join(t.TempDir(), "run")
	for _, tc := range []struct {
		name   string
		env    []string
		args   []string
		prefix string
	}{
		{"--backend", nil, []string{"train", "--backend", "xla:cuda", "--data", "mnist", "--steps", "1", "--out", out}, prefix},
		{"$GOMLX_BACKEND", []string{"GOMLX_BACKEND=xla:cuda"}, []string{"train", "--data", "mnist", "--steps", "1", "--out", out},
			strings.Replace(prefix, `--backend "xla:cuda"`, `$GOMLX_BACKEND "xla:cuda"`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runLatent(t, append(env, tc.env...), tc.args...)
			if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, tc.prefix) {
				t.Errorf("latent %v: exit %d, stderr %q; want exit 1 and one line beginning %q (README.md)\nstdout: %s", tc.args, code, stderr, tc.prefix, stdout)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a train that could not open its backend created %s", out)
	}
}

// TestInfoCUDAWithDriver is `latent info --backend xla:cuda`'s success path
// of the probe on a machine with an NVIDIA driver (without one,
// TestCUDANoDriver runs): with the test's CUDA 13 plugin it prints the
// driver's release and CUDA version and every GPU the driver shows, and
// ends on the verdict Check gives: "ready" and exit 0, or the problem's
// one line (e.g. the libraries a plugin-only install lacks) and exit 1,
// without XLA's log.
func TestInfoCUDAWithDriver(t *testing.T) {
	d := nvidia.ProbeDriver()
	if !d.Loaded {
		t.Skipf("no NVIDIA driver here (%s): TestCUDANoDriver covers latent info", d.LoadError)
	}
	plugin := testenv.CUDAPlugin(t)
	env := []string{"PJRT_PLUGIN_LIBRARY_PATH=" + filepath.Dir(plugin), "LATENT_XLA_CACHE=off", "LATENT_XLA_LOG=", "GOMLX_BACKEND=",
		"XLA_PYTHON_CLIENT_PREALLOCATE=false"}
	code, out, errOut := runLatent(t, env, "info", "--backend", "xla:cuda")
	release := d.Release
	if release == "" {
		release = "release unknown"
	}
	want := []string{
		"cuda plugin:   " + plugin + " (CUDA 13, PJRT API v0.",
		"nvidia driver: " + release + ", supports CUDA " + nvidia.VersionString(d.CUDAVersion) + "\n",
		"driver needed: >= 580 (CUDA 13)\n",
	}
	for i, dev := range d.Devices {
		want = append(want, fmt.Sprintf("gpu %d:         %s, %.1f GB, compute capability %d.%d\n", i, dev.Name, float64(dev.MemoryBytes)/1e9, dev.CapMajor, dev.CapMinor))
	}
	problem := backend.ProbeCUDA(plugin).Check()
	wantCode := 0
	if problem == nil {
		want = append(want, "cuda:          ready\n")
	} else {
		wantCode = 1
		want = append(want, "cuda:          "+problem.Problem.String()+": ")
		if !strings.HasPrefix(errOut, `latent info: --backend "xla:cuda": `+problem.Problem.String()+": ") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("latent info --backend xla:cuda: stderr %q, want one line naming %q", errOut, problem.Problem)
		}
	}
	if code != wantCode {
		t.Errorf("latent info --backend xla:cuda: exit %d, want %d (Check: %v); stderr: %s", code, wantCode, problem, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("latent info --backend xla:cuda: stdout lacks %q:\n%s", w, out)
		}
	}
	if noise := xlaNoise.FindString(errOut); noise != "" {
		t.Errorf("latent info printed XLA's log %q:\n%s", noise, errOut)
	}
}
