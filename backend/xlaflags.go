package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/latent-vae/latent/third_party/go-xla/pkg/pjrt"
)

// XLAFlagsEnvVar is the environment variable XLA reads its debug flags
// from (e.g. --xla_cpu_max_isa=AVX2) when a PJRT client is created.
const XLAFlagsEnvVar = "XLA_FLAGS"

// ErrXLAFlagsRefused is wrapped by the error of a backend whose PJRT plugin
// refuses $XLA_FLAGS, or ends its process while loading with it set.
var ErrXLAFlagsRefused = errors.New("refused by the PJRT plugin")

// XLA parses $XLA_FLAGS when a PJRT client is created and, on a flag it
// does not know or a value it cannot read, ends the process at once
// (absl's LOG(QFATAL): _exit(1)), so latent could say nothing. So when
// $XLA_FLAGS is set, the plugin is first loaded in a child process: the
// running program itself, which this package's init turns into a probe
// when probeEnvVar names the plugin.
const (
	// probeEnvVar names the plugin the probe loads.
	probeEnvVar = "LATENT_XLA_FLAGS_PROBE"
	// probeDevicesEnvVar is the device count (OpenDevices' devices) the probe asks a CPU plugin for.
	probeDevicesEnvVar = "LATENT_XLA_FLAGS_PROBE_DEVICES"
	// The probe's lines on stdout: before loading, and after (or an error line).
	probeLoading = "latent-xla-flags-probe: loading"
	probeOK      = "latent-xla-flags-probe: ok"
	probeError   = "latent-xla-flags-probe: error: "
	// probeTimeout bounds the probe; past it the plugin is loaded unchecked.
	probeTimeout = 2 * time.Minute
)

func init() {
	if path, ok := os.LookupEnv(probeEnvVar); ok {
		os.Exit(runProbe(path, os.Getenv(probeDevicesEnvVar)))
	}
}

// runProbe is the probe child: it loads the plugin at path and creates a
// client as openXLA would (a CUDA plugin's libraries preloaded, without
// preallocating GPU memory), then says how that went on stdout. A returned
// error is an error line and exit 0 (openXLA reports it itself); a plugin
// that ends the process leaves the loading line alone.
func runProbe(path, devices string) int {
	fmt.Println(probeLoading)
	if err := probeLoad(path, devices); err != nil {
		fmt.Println(probeError + strings.ReplaceAll(err.Error(), "\n", " "))
		return 0
	}
	fmt.Println(probeOK)
	return 0
}

// probeLoad loads the plugin at path and creates and destroys a client.
func probeLoad(path, devices string) error {
	var options pjrt.NamedValuesMap
	if isCUDAPlugin(path) {
		_, opts, err := prepareCUDA(path)
		if err != nil {
			return err
		}
		opts["preallocate"] = false
		options = opts
	} else if n, err := strconv.Atoi(devices); err == nil && n > 1 && isCPUPlugin(path) {
		options = pjrt.NamedValuesMap{CPUDeviceCountOption: int64(n)}
	}
	p, err := pjrt.GetPlugin(path)
	if err != nil {
		return err
	}
	c, err := p.NewClient(options)
	if err != nil {
		return err
	}
	return c.Destroy()
}

// checkXLAFlags loads the plugin at path in a child process (see
// probeEnvVar) when $XLA_FLAGS is set, and returns an ErrXLAFlagsRefused
// error naming $XLA_FLAGS, its value and the plugin's complaint when the
// child dies while loading. The child's log is copied to stderr when
// ShowXLALog. When the child cannot be run, or returns an error rather than
// dying, nil: the load in this process then fails or succeeds itself.
func checkXLAFlags(path string, devices int) error {
	flags := os.Getenv(XLAFlagsEnvVar)
	if strings.TrimSpace(flags) == "" {
		return nil
	}
	if err := checkMaxISA(flags); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), probeEnvVar+"="+path, probeDevicesEnvVar+"="+strconv.Itoa(devices))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ShowXLALog() {
		os.Stderr.Write(stderr.Bytes())
	}
	out := stdout.String()
	if ctx.Err() != nil || !strings.Contains(out, probeLoading) || strings.Contains(out, probeOK) || strings.Contains(out, probeError) {
		return nil // timed out, not a probe (another program), or loaded
	}
	if interrupted(cmd.ProcessState) {
		return nil // Ctrl-C or a kill reached the child too: no verdict
	}
	how := "exit status 0"
	if runErr != nil {
		how = runErr.Error()
	}
	return xlaFlagsError(flags, path, stderr.String(), how)
}

// interrupted reports whether the process of state ended on a signal that
// stops programs from outside (SIGINT, SIGTERM, SIGHUP, SIGKILL), not one
// of its own failure.
func interrupted(state *os.ProcessState) bool {
	ws, ok := state.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	})
	if !ok || !ws.Signaled() {
		return false
	}
	switch ws.Signal() {
	case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGKILL:
		return true
	}
	return false
}

// maxISAFlag is XLA CPU's flag that bounds the instruction set of the code
// it emits, and maxISAValues the values it knows (as its usage lists them;
// case does not matter). XLA takes any other value without a word and
// emits code for the whole CPU.
const maxISAFlag = "--xla_cpu_max_isa"

// maxISAValues returns the values of maxISAFlag XLA knows.
func maxISAValues() []string {
	return []string{"SSE4_2", "AVX", "AVX2", "AVX512", "AVX512_VNNI", "AVX512_BF16", "AMX", "AMX_FP16"}
}

// checkMaxISA returns an error naming $XLA_FLAGS when flags gives
// maxISAFlag a value XLA does not know.
func checkMaxISA(flags string) error {
	for _, f := range strings.Fields(flags) {
		v, ok := strings.CutPrefix(f, maxISAFlag+"=")
		if !ok || v == "" {
			continue
		}
		known := false
		for _, isa := range maxISAValues() {
			known = known || strings.EqualFold(v, isa)
		}
		if !known {
			return fmt.Errorf("$%s=%q: %s: XLA CPU knows no instruction set %q and would ignore it, emitting code for the whole CPU; want one of %s",
				XLAFlagsEnvVar, flags, f, v, strings.Join(maxISAValues(), ", "))
		}
	}
	return nil
}

// abslLine matches a line of absl's log: severity, date, time, thread,
// file:line] message.
var abslLine = regexp.MustCompile(`^([IWEF])\d{4} [\d:.]+\s+\d+ ([^:\]\s]+):\d+\] (.*)$`)

// xlaFlagsError is the one-line error for a plugin at path that ended its
// process (how: its exit status) while loading with $XLA_FLAGS=flags,
// having logged log: the complaint is XLA's own message about a flag (an
// error line naming the flag, else the fatal line), else the last line
// logged, else that it logged nothing.
func xlaFlagsError(flags, path, log, how string) error {
	var flagErr, fatal, last string
	for _, line := range strings.Split(log, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		m := abslLine.FindStringSubmatch(line)
		if m == nil {
			if fatal == "" {
				last = line // a fatal line's usage text follows it
			}
			continue
		}
		last = m[3]
		switch {
		case m[1] == "E" && flagErr == "" && strings.Contains(m[2], "flags"):
			flagErr = m[3]
		case m[1] == "F" && fatal == "":
			fatal = m[3]
		}
	}
	complaint := flagErr
	if complaint == "" {
		complaint = fatal
	}
	if complaint == "" {
		complaint = last
	}
	if complaint == "" {
		return fmt.Errorf("$%s=%q: %w %s, which ended its process while loading with it set (%s) and logged nothing; try without $%s",
			XLAFlagsEnvVar, flags, ErrXLAFlagsRefused, path, how, XLAFlagsEnvVar)
	}
	complaint = strings.TrimSuffix(complaint, ".")
	if !strings.Contains(complaint, "flag") && !strings.Contains(complaint, XLAFlagsEnvVar) {
		return fmt.Errorf("$%s=%q: %w %s, which ended its process while loading with it set (%s): %s; try without $%s",
			XLAFlagsEnvVar, flags, ErrXLAFlagsRefused, path, how, complaint, XLAFlagsEnvVar)
	}
	return fmt.Errorf("$%s=%q: %w %s: %s", XLAFlagsEnvVar, flags, ErrXLAFlagsRefused, path, complaint)
}
