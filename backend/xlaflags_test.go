package backend

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
)

// envWide makes the cache test's child run wideProgram, whose code XLA
// vectorises, instead of childProgram.
const envWide = "LATENT_CACHE_TEST_WIDE"

// wideProgram compiles and runs a program over 4096 floats, wide enough
// for XLA CPU to emit vector code of the widest ISA it may use.
func wideProgram(b *Backend) float32 {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i) / 100
	}
	out := MustNewExec(b, func(x *Node) *Node {
		return ReduceAllSum(Add(Mul(x, Exp(Neg(x))), Tanh(x)))
	}).MustExec(x)
	return out[0].Value().(float32)
}

// TestXLAFlagsError checks the one line made of a plugin's log when it
// ended its process while loading with $XLA_FLAGS set.
func TestXLAFlagsError(t *testing.T) {
	const banner = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
	for _, tc := range []struct {
		name, flags, log, how string
		want                  []string
	}{
		{"unknown flag", "--xla_bogus_flag=1",
			banner + "F0000 00:00:1796580207.274193   11908 parse_flags_from_env.cc:234] Unknown flag in XLA_FLAGS: --xla_bogus_flag=1\n",
			"exit status 1", []string{`$XLA_FLAGS="--xla_bogus_flag=1": refused by the PJRT plugin /p.so: Unknown flag in XLA_FLAGS: --xla_bogus_flag=1`}},
		{"bad value, usage follows", "--xla_cpu_enable_fast_math=maybe",
			banner + "E0000 00:00:1796580251.113158   13384 command_line_flags.cc:93] Couldn't interpret value maybe for flag xla_cpu_enable_fast_math.\n" +
				"F0000 00:00:1796580251.113184   13384 parse_flags_from_env.cc:220] Check failed: tsl::Flags::Parse(&env_argv->argc, env_argv->argv.data(), flag_list) Flag parsing failed.\n" +
				"usage: --xla_cpu_enable_fast_math=maybe\nFlags:\n\t--xla_cpu_enable_fast_math=false \tbool\tEnable\n\t--xla_gp",
			"exit status 1", []string{`$XLA_FLAGS="--xla_cpu_enable_fast_math=maybe": refused by the PJRT plugin /p.so: Couldn't interpret value maybe for flag xla_cpu_enable_fast_math`}},
		{"a death that names no flag", "--xla_dump_to=/x",
			banner + "E1206 18:04:30.802200   13807 cuda_platform.cc:57] failed call to cuInit\nsomething else went wrong\n",
			"signal: aborted", []string{`$XLA_FLAGS="--xla_dump_to=/x": refused by the PJRT plugin /p.so, which ended its process while loading with it set (signal: aborted): something else went wrong; try without $XLA_FLAGS`}},
		{"nothing logged", "--xla_dump_to=/x", "", "exit status 1",
			[]string{`$XLA_FLAGS="--xla_dump_to=/x"`, "(exit status 1) and logged nothing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := xlaFlagsError(tc.flags, "/p.so", tc.log, tc.how)
			if !errors.Is(err, ErrXLAFlagsRefused) {
				t.Errorf("error %v does not wrap ErrXLAFlagsRefused", err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is more than one line", msg)
			}
		})
	}
}

// TestXLAFlagsRefused opens XLA CPU in a child process with $XLA_FLAGS
// that the plugin refuses (it ends its process on them): Open returns an
// error, which the child prints, as one line naming $XLA_FLAGS, its value
// and the flag, with XLA's log off or on; and nothing is left to be
// loaded unchecked.
func TestXLAFlagsRefused(t *testing.T) {
	realPlugin(t)
	for _, tc := range []struct {
		name, flags, log string
		want             []string
	}{
		{"unknown flag", "--xla_bogus_flag=1", "",
			[]string{`$XLA_FLAGS="--xla_bogus_flag=1"`, "refused by the PJRT plugin", "Unknown flag in XLA_FLAGS: --xla_bogus_flag=1"}},
		{"unknown flag, log on", "--xla_bogus_flag=1", "1",
			[]string{`$XLA_FLAGS="--xla_bogus_flag=1"`, "Unknown flag in XLA_FLAGS: --xla_bogus_flag=1"}},
		{"two unknown flags after a known one", "--xla_cpu_max_isa=AVX2 --xla_a=1 --xla_b", "",
			[]string{`$XLA_FLAGS="--xla_cpu_max_isa=AVX2 --xla_a=1 --xla_b"`, "Unknown flags in XLA_FLAGS: --xla_a=1 --xla_b"}},
		{"bad value", "--xla_cpu_enable_fast_math=maybe", "",
			[]string{`$XLA_FLAGS="--xla_cpu_enable_fast_math=maybe"`, "Couldn't interpret value maybe for flag xla_cpu_enable_fast_math"}},
		{"no dashes", "xla_cpu_max_isa=AVX2", "",
			[]string{`$XLA_FLAGS="xla_cpu_max_isa=AVX2"`, `did not start with a "--"`}},
		{"unknown instruction set (XLA would ignore it)", "--xla_cpu_enable_fast_math=false --xla_cpu_max_isa=AVX3", "",
			[]string{`$XLA_FLAGS="--xla_cpu_enable_fast_math=false --xla_cpu_max_isa=AVX3": --xla_cpu_max_isa=AVX3: XLA CPU knows no instruction set "AVX3"`, "AVX2, AVX512"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := child("off", 0, XLAFlagsEnvVar+"="+tc.flags, LogEnvVar+"="+tc.log)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Fatalf("XLA_FLAGS=%q: child ended with %v, want exit status 3 (Open's error); stdout %q, stderr:\n%s",
					tc.flags, err, stdout.String(), stderr.String())
			}
			var ours []string
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			for _, line := range lines {
				if strings.Contains(line, "$"+XLAFlagsEnvVar) {
					ours = append(ours, line)
				}
			}
			if len(ours) != 1 || (tc.log == "" && len(lines) != 1) {
				t.Fatalf("XLA_FLAGS=%q, %s=%q: stderr has %d lines, %d naming $%s; want one such line (and nothing else with the log off):\n%s",
					tc.flags, LogEnvVar, tc.log, len(lines), len(ours), XLAFlagsEnvVar, stderr.String())
			}
			for _, w := range append(tc.want, `backend "xla:cpu": `) {
				if !strings.Contains(ours[0], w) {
					t.Errorf("XLA_FLAGS=%q: the line %q lacks %q", tc.flags, ours[0], w)
				}
			}
			if logged := strings.Contains(stderr.String(), "parse_flags_from_env.cc"); logged != (tc.log != "") {
				t.Errorf("XLA_FLAGS=%q, %s=%q: XLA's log shown %v; stderr:\n%s", tc.flags, LogEnvVar, tc.log, logged, stderr.String())
			}
		})
	}
}

// TestXLAFlagsMaxISA checks that the plugin takes --xla_cpu_max_isa=AVX2
// (the flag that reproduces an AVX2-only CPU's numbers on any x86 CPU):
// a program compiles and runs under it, XLA's dump of its debug options
// has it, and on a CPU with AVX-512, where the same program's code uses
// AVX-512's mask registers without the flag, its code uses none.
func TestXLAFlagsMaxISA(t *testing.T) {
	realPlugin(t)
	compile := func(flags string) (dump string) {
		t.Helper()
		dump = t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd := child("off", 0, envWide+"=1", XLAFlagsEnvVar+"="+strings.TrimSpace(flags+" --xla_dump_to="+dump), LogEnvVar+"=")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() != 0 {
			t.Fatalf("XLA_FLAGS=%q: child ended with %v, stderr %q; want it to run", flags, err, stderr.String())
		}
		return dump
	}
	avx2 := compile("--xla_cpu_max_isa=AVX2")
	options, err := filepath.Glob(filepath.Join(avx2, "*debug_options"))
	if err != nil || len(options) == 0 {
		t.Fatalf("no debug_options in XLA's dump %s (%v)", avx2, err)
	}
	text, err := os.ReadFile(options[0])
	if err != nil || !strings.Contains(string(text), `xla_cpu_max_isa: "AVX2"`) {
		t.Errorf("XLA's debug options %s lack xla_cpu_max_isa: \"AVX2\" (%v):\n%s", options[0], err, text)
	}

	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	objdump, err := exec.LookPath("objdump")
	if !strings.Contains(string(cpuinfo), " avx512f") || err != nil {
		t.Skipf("the code's ISA is checked only on a CPU with AVX-512 and with objdump (%v)", err)
	}
	masks := func(dump string) int {
		t.Helper()
		objects, err := filepath.Glob(filepath.Join(dump, "*.o"))
		if err != nil || len(objects) == 0 {
			t.Fatalf("no object files in XLA's dump %s (%v)", dump, err)
		}
		n := 0
		for _, o := range objects {
			out, err := exec.Command(objdump, "-d", o).Output()
			if err != nil {
				t.Fatalf("objdump -d %s: %v", o, err)
			}
			n += strings.Count(string(out), "{%k")
		}
		return n
	}
	if n := masks(compile("")); n == 0 {
		t.Fatalf("without --xla_cpu_max_isa the program's code uses no AVX-512 mask register: this check would pass on anything")
	}
	if n := masks(avx2); n != 0 {
		t.Errorf("with --xla_cpu_max_isa=AVX2 the program's code has %d instructions with AVX-512 mask registers, want none", n)
	}
}

// TestCheckMaxISA checks which values of --xla_cpu_max_isa latent takes:
// those XLA CPU knows, in any case, or none; any other is an error naming
// $XLA_FLAGS, the flag and the values XLA knows.
func TestCheckMaxISA(t *testing.T) {
	for flags, ok := range map[string]bool{
		"--xla_cpu_max_isa=AVX2":                        true,
		"--xla_cpu_max_isa=avx512_vnni --xla_dump_to=x": true,
		"--xla_cpu_max_isa=SSE4_2":                      true,
		"--xla_cpu_max_isa=":                            true,
		"--xla_dump_to=AVX3":                            true,
		"--xla_cpu_max_isa=AVX3":                        false,
		"--xla_dump_to=x --xla_cpu_max_isa=AVX-2":       false,
	} {
		err := checkMaxISA(flags)
		if ok != (err == nil) {
			t.Errorf("XLA_FLAGS=%q: %v, want it taken %v", flags, err, ok)
		}
		if err != nil && (!strings.Contains(err.Error(), `$XLA_FLAGS="`+flags+`"`) || !strings.Contains(err.Error(), "SSE4_2, AVX, AVX2, AVX512, AVX512_VNNI, AVX512_BF16, AMX, AMX_FP16")) {
			t.Errorf("XLA_FLAGS=%q: error %q does not name the variable and the values XLA knows", flags, err)
		}
	}
}

// TestInterrupted checks which ends of the probe give no verdict: a signal
// from outside (Ctrl-C, a kill), not the process's own abort or exit.
func TestInterrupted(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skipf("no sh: %v", err)
	}
	for script, want := range map[string]bool{
		"kill -INT $$": true, "kill -TERM $$": true, "kill -KILL $$": true,
		"kill -ABRT $$": false, "kill -SEGV $$": false, "exit 1": false, "exit 0": false,
	} {
		cmd := exec.Command(sh, "-c", script)
		_ = cmd.Run()
		if got := interrupted(cmd.ProcessState); got != want {
			t.Errorf("sh -c %q (%v): interrupted = %v, want %v", script, cmd.ProcessState, got, want)
		}
	}
}
