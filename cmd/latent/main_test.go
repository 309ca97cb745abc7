package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/rundir"
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

// TestUsage checks the command-line conventions: help (the list, `help
// CMD`, --help, -h) on stdout with exit 0 and nothing on stderr; usage
// errors on stderr with exit 2, pointing at --help; an unknown command
// with the nearest one suggested.
func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{nil, 0, "Commands:"},
		{[]string{"help"}, 0, "Commands:"},
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"help", "traverse"}, 0, "Usage: latent traverse"},
		{[]string{"traverse", "--help"}, 0, "--order"},
		{[]string{"train", "-h"}, 0, "--resume"},
		{[]string{"map", "--help"}, 0, "--manifold"},
		{[]string{"help", "nope"}, 2, "want one command name"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"` + "\nRun 'latent help'"},
		{[]string{"trian"}, 2, `unknown command "trian"; did you mean "train"?`},
		{[]string{"travers"}, 2, `did you mean "traverse"?`},
		{[]string{"recon"}, 2, `did you mean "reconstruct"?`},
		{[]string{"train", "--no-such-flag"}, 2, "flag provided but not defined: --no-such-flag\nRun 'latent train --help' for usage."},
		{[]string{"sample", "--scale", "abc"}, 2, `invalid value "abc" for flag --scale`},
		{[]string{"sample", "--run"}, 2, "flag needs an argument: --run"},
		{[]string{"sample", "-o", "x.png"}, 2, "--run: a run folder is required"},
		{[]string{"sample", "--run", "r", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"plot"}, 2, "--run: a run folder is required"},
		{[]string{"neighbors", "--run", "r"}, 2, "--index: the query's index in the test split is required"},
		{[]string{"traverse", "--run", "r", "--order", "size"}, 2, `--order "size": want kl or dim`},
		{[]string{"sample", "--run", "r", "-o", "x.bmp"}, 2, "-o x.bmp: unknown extension .bmp; want .png"},
		{[]string{"sample", "--run", "r", "-o", "x"}, 2, "-o x: no extension; want .png"},
		{[]string{"plot", "--run", "r", "-o", "x.bmp"}, 2, "-o x.bmp: unknown extension .bmp; want .png, .svg or .pdf"},
		{[]string{"map", "--run", "r", "-o", "x.gif"}, 2, "want .png, .svg, .pdf or .csv"},
		{[]string{"map", "--run", "r", "--manifold", "-o", "x.svg"}, 2, "-o x.svg: unknown extension .svg; want .png"},
		{[]string{"map", "--run", "r", "--manifold-n", "4"}, 2, "go with --manifold"},
		{[]string{"interpolate", "--run", "r", "-o", "x.png"}, 2, "-o x.png: unknown extension .png; want .gif"},
		{[]string{"traverse", "--run", "r", "--gif", "x.png"}, 2, "--gif x.png: unknown extension .png; want .gif"},
		{[]string{"traverse", "--run", "r", "--gif", "-"}, 2, "only -o writes to stdout"},
		{[]string{"anomaly", "--run", "r", "-o", "-"}, 2, "stdout carries the scores"},
		{[]string{"version", "now"}, 2, "unexpected arguments"},
		{[]string{"completion"}, 2, "want one shell name"},
		{[]string{"completion", "tcsh"}, 2, `"tcsh": unknown shell`},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		got, quiet := out.String(), errb.String()
		if code != 0 {
			got, quiet = quiet, got
		}
		if code != tc.wantCode || !strings.Contains(got, tc.want) || quiet != "" {
			t.Errorf("latent %v: exit %d, stdout %q, stderr %q; want exit %d and %q on %s only",
				tc.args, code, out.String(), errb.String(), tc.wantCode, tc.want, map[bool]string{true: "stdout", false: "stderr"}[tc.wantCode == 0])
		}
	}
}

func TestSuggestion(t *testing.T) {
	cmds := commands()
	tests := []struct{ name, want string }{
		{"trian", "train"}, {"sampel", "sample"}, {"neighbours", "neighbors"}, {"evl", "eval"},
		{"exprot", "export"}, {"recon", "reconstruct"}, {"frobnicate", ""}, {"x", ""}, {"completions", "completion"},
	}
	for _, tc := range tests {
		got := suggestion(tc.name, cmds)
		if want := map[bool]string{true: "", false: `; did you mean "` + tc.want + `"?`}[tc.want == ""]; got != want {
			t.Errorf("suggestion(%q) = %q, want %q", tc.name, got, want)
		}
	}
}

// TestHelpTexts checks every command's --help: a flag's argument name is
// its type (a back-quote in a usage string would make it a word of the
// text), a required flag shows no default, the shared flags read the same
// in every command, and map has no --seed (it draws nothing at random).
func TestHelpTexts(t *testing.T) {
	ref := flag.NewFlagSet("ref", flag.ContinueOnError)
	backendFlag(ref)
	runFlag(ref)
	scaleFlag(ref)
	bindDataFlags(ref, &rundir.DataConfig{})
	newFlagSet("ref2", "", io.Discard).VisitAll(func(f *flag.Flag) { ref.Var(f.Value, f.Name, f.Usage) })
	shared := 0
	for name, c := range commands() {
		var out bytes.Buffer
		if code := run([]string{name, "--help"}, &out, io.Discard); code != 0 {
			t.Errorf("latent %s --help: exit %d", name, code)
		}
		fs := helpFlags(t, c)
		fs.VisitAll(func(f *flag.Flag) {
			if arg, _ := flag.UnquoteUsage(f); !slices.Contains([]string{"", "string", "int", "float", "uint", "duration", "value"}, arg) {
				t.Errorf("latent %s --%s: argument name %q, from a back-quote in its usage", name, f.Name, arg)
			}
			if f.Name == "data" && name != "data" && name != "train" {
				shared++
				if !strings.HasSuffix(f.Usage, runDataDefault) {
					t.Errorf("latent %s --data: %q, want it to end with %q", name, f.Usage, runDataDefault)
				}
				return
			}
			if r := ref.Lookup(f.Name); r != nil && !(name == "map" && f.Name == "scale") {
				shared++
				if r.Usage != f.Usage {
					t.Errorf("latent %s --%s: %q, want the shared text %q", name, f.Name, f.Usage, r.Usage)
				}
			}
		})
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "required") && strings.Contains(line, "(default") {
				t.Errorf("latent %s --help: %q is required yet shows a default", name, line)
			}
		}
	}
	if shared < 20 {
		t.Errorf("only %d shared flags checked", shared)
	}
	for cmd, want := range map[string]bool{"map": true, "neighbors": false, "eval": true, "anomaly": true, "sample": true} {
		if got := helpFlags(t, commands()[cmd]).Lookup("seed") != nil; got != want {
			t.Errorf("latent %s has --seed: %v, want %v", cmd, got, want)
		}
	}
}

// helpFlags returns a command's flag set, as it gives it for --help.
func helpFlags(t *testing.T, c command) *flag.FlagSet {
	t.Helper()
	var help helpRequest
	if err := c.run([]string{"--help"}, io.Discard, io.Discard); !errors.As(err, &help) {
		t.Fatalf("--help: %v, want a help request", err)
	}
	return help.fs
}

func TestVersion(t *testing.T) {
	t.Setenv(backend.PluginPathEnvVar, t.TempDir()) // no plugin: still exit 0
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		for _, want := range []string{"latent devel\n", "gomlx:       v0.26.0\n", "go-xla:      " + backend.GoXLA + "\n", "pjrt plugin: none found"} {
			if code != 0 || !strings.Contains(out.String(), want) {
				t.Errorf("latent %v: exit %d, stdout %q; want exit 0 and %q", args, code, out.String(), want)
			}
		}
	}
}

// TestVersionPlugin checks that `latent version` names the XLA CPU plugin
// and its PJRT API version when the plugin is installed.
func TestVersionPlugin(t *testing.T) {
	testenv.XLA(t)
	var out bytes.Buffer
	if code := run([]string{"version"}, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !regexp.MustCompile(`(?m)^pjrt plugin: /.+\.so\npjrt api:    v\d+\.\d+$`).MatchString(out.String()) {
		t.Errorf("latent version:\n%s\nwant the plugin's path and PJRT API version", out.String())
	}
}

// TestCompletion checks the completion scripts: each names every command
// and their flags, and the bash one, run in bash, completes a command and
// a flag.
func TestCompletion(t *testing.T) {
	scripts := map[string]string{}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		var out bytes.Buffer
		if code := run([]string{"completion", shell}, &out, io.Discard); code != 0 {
			t.Fatalf("latent completion %s: exit %d", shell, code)
		}
		scripts[shell] = out.String()
		for name := range commands() {
			if !strings.Contains(out.String(), name) {
				t.Errorf("%s script does not mention the command %s", shell, name)
			}
		}
		for _, flag := range []string{"run", "manifold-n", "resume", "order"} {
			if !strings.Contains(out.String(), flag) {
				t.Errorf("%s script does not mention --%s", shell, flag)
			}
		}
	}
	if !strings.Contains(scripts["bash"], "--run") {
		t.Error("bash script does not mention --run")
	}
	path := filepath.Join(t.TempDir(), "latent.bash")
	if err := os.WriteFile(path, []byte(scripts["bash"]), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ words, want string }{
		{"latent tra", "train traverse"},
		{"latent map --manif", "--manifold --manifold-n"},
		{"latent help reco", "reconstruct"},
		{"latent completion f", "fish"},
	}
	for _, tc := range tests {
		script := fmt.Sprintf(`source %s; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _latent; echo "${COMPREPLY[*]}"`, path, tc.words)
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
			t.Errorf("completing %q: %q (%v), want %q", tc.words, got, err, tc.want)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} { // `make test` installs zsh and fish
		t.Run(shell+" syntax", func(t *testing.T) {
			if _, err := exec.LookPath(shell); err != nil {
				testenv.Missing(t, "%s is not installed for the syntax check of its completion script (`make shells` installs it)", shell)
			}
			// From a file: fish -n -c reports a syntax error but exits 0.
			file := filepath.Join(t.TempDir(), "latent."+shell)
			if err := os.WriteFile(file, []byte(scripts[shell]), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(shell, "-n", file).CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s -n: %v: %s", shell, err, out)
			}
		})
	}
}

// TestQuietWriter checks what --quiet lets through: warnings and a
// command's own "latent …" messages, whole, even when written in pieces;
// no other line, nor progress redrawn with \r.
func TestQuietWriter(t *testing.T) {
	var out bytes.Buffer
	q := &quietWriter{w: &out}
	for _, s := range []string{"backend: xla\n", "warn", "ing: slow\nrun x: step 3\n", "50% |███ |\r", "60% |████|\r",
		"latent train: interrupted\n", "encoding: latent means\n", "warning: last"} {
		fmt.Fprint(q, s)
	}
	q.flush()
	if want := "warning: slow\nlatent train: interrupted\nwarning: last\n"; out.String() != want {
		t.Errorf("quiet output %q, want %q", out.String(), want)
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--quiet"}, true}, {[]string{"-quiet"}, true}, {[]string{"--run", "x", "--quiet=true"}, true},
		{[]string{"--quiet=false"}, false}, {[]string{"--", "--quiet"}, false}, {[]string{"--quieter"}, false}, {nil, false},
	} {
		if got := quietArg(tc.args); got != tc.want {
			t.Errorf("quietArg(%q) = %v, want %v", tc.args, got, tc.want)
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
