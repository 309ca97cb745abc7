package main

import (
	"bytes"
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

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
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
		{[]string{"prior"}, 2, "prior wants a subcommand: fit, list or score"},
		{[]string{"prior", "fitt"}, 2, `unknown subcommand "fitt"; did you mean "fit"?` + "\nRun 'latent prior --help'"},
		{[]string{"help", "prior", "fitt"}, 2, `did you mean "fit"?`},
		{[]string{"help", "prior", "fit"}, 0, "Usage: latent prior fit"},
		{[]string{"prior", "fit", "-h"}, 0, "--components"},
		{[]string{"prior", "fit", "--run", "r"}, 2, "latent prior fit: --kind is required (the prior to fit: "},
		{[]string{"prior", "score", "--run", "r"}, 2, "--kind is required"},
		{[]string{"features", "train", "--data", "mnist"}, 2, "-o is required"},
		{[]string{"sample", "--run", "r", "--temp", "2"}, 2, "flag provided but not defined: --temp; did you mean --temperature?"},
		{[]string{"sample", "-x"}, 2, "flag provided but not defined: -x"},
		{[]string{"sample", "-run", "r"}, 2, "flag provided but not defined: -run; did you mean --run?"},
		{[]string{"sample", "-o"}, 2, "flag needs an argument: -o"},
		{[]string{"data", "fetch"}, 2, "fetch wants a data set name: mnist, fashion-mnist or kmnist"},
		{[]string{"data", "fetc", "mnist"}, 2, `unknown subcommand "fetc"; did you mean "fetch"?`},
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
	names := commandNames(newRoot(io.Discard, io.Discard))
	tests := []struct{ name, want string }{
		{"trian", "train"}, {"sampel", "sample"}, {"neighbours", "neighbors"}, {"evl", "eval"},
		{"exprot", "export"}, {"recon", "reconstruct"}, {"frobnicate", ""}, {"x", ""}, {"completions", "completion"},
	}
	for _, tc := range tests {
		got := suggestion([]string{tc.name}, names)
		if want := map[bool]string{true: "", false: `; did you mean "` + tc.want + `"?`}[tc.want == ""]; got != want {
			t.Errorf("suggestion(%q) = %q, want %q", tc.name, got, want)
		}
	}
}

// TestHelpTexts checks every command's --help: a flag's argument name is
// its type (a back-quote in a usage string would make it a word of the
// text), a required flag shows no default, each default is shown once,
// from the flag's definition (a synopsis writes none), the shared flags
// read the same in every command, and map has no --seed (it draws
// nothing at random).
func TestHelpTexts(t *testing.T) {
	ref := testFlagSet()
	backendFlag(ref)
	runFlag(ref)
	scaleFlag(ref)
	bindDataFlags(ref, &rundir.DataConfig{})
	shared := 0
	synopsisDefault := regexp.MustCompile(`\[--?[a-z-]+ [0-9]`) // [-n 64]
	for name, fs := range commandFlags(t) {
		var out bytes.Buffer
		if code := run(append(strings.Fields(name), "--help"), &out, io.Discard); code != 0 {
			t.Errorf("latent %s --help: exit %d", name, code)
		}
		help := out.String()
		if usage, _, _ := strings.Cut(help, "\n"); synopsisDefault.MatchString(usage) {
			t.Errorf("latent %s --help: %q writes a default by hand; the flag's definition gives it", name, usage)
		}
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if arg, _ := pflag.UnquoteUsage(f); !slices.Contains([]string{"", "string", "int", "float", "uint", "duration", "value"}, arg) {
				t.Errorf("latent %s --%s: argument name %q, from a back-quote in its usage", name, f.Name, arg)
			}
			if d := f.DefValue; d != "" && d != "0" && d != "false" && strings.Count(help, f.Usage+" (default "+d+")") != 1 {
				t.Errorf("latent %s --help: --%s's default %s is not shown once after its usage", name, f.Name, d)
			}
			if f.Name == "data" && name == "features train" {
				return // a labelled set to train on, not a run's
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
		for _, line := range strings.Split(help, "\n") {
			if strings.Contains(line, "required") && strings.Contains(line, "(default") {
				t.Errorf("latent %s --help: %q is required yet shows a default", name, line)
			}
		}
	}
	if shared < 20 {
		t.Errorf("only %d shared flags checked", shared)
	}
	for cmd, want := range map[string]bool{"map": true, "neighbors": false, "eval": true, "anomaly": true, "sample": true} {
		if got := flagsOf(t, cmd).Lookup("seed") != nil; got != want {
			t.Errorf("latent %s has --seed: %v, want %v", cmd, got, want)
		}
	}
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

// TestCompletion checks the completion scripts in the shells themselves:
// each script, sourced in bash, zsh and fish with the test binary on PATH
// as latent, completes commands, nested subcommands, their flags and the
// flags' values by asking latent (cobra's `latent __complete`).
func TestCompletion(t *testing.T) {
	runs := t.TempDir()
	fitted := filepath.Join(runs, "fitted")
	for _, f := range []string{filepath.Join(fitted, rundir.ConfigFile), filepath.Join(prior.Dir(fitted, prior.KindGMM), "step-1.latent")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(runs, "notarun"), 0o755); err != nil {
		t.Fatal(err)
	}
	notFitted := slices.DeleteFunc(prior.KindNames(), func(k string) bool { return k == prior.KindGMM })
	tests := []struct {
		line    string
		want    []string
		notWant []string
	}{
		{"latent tra", []string{"train", "traverse"}, nil},
		{"latent prior ", []string{"fit", "list", "score"}, nil},
		{"latent prior fit --k", []string{"--kind"}, []string{"--run"}},
		{"latent prior fit --kind ", prior.KindNames(), nil},
		{"latent prior fit --run " + fitted + " --comp", []string{"--components"}, nil},
		{"latent map --manif", []string{"--manifold", "--manifold-n"}, nil},
		{"latent help reco", []string{"reconstruct"}, nil},
		{"latent help prior f", []string{"fit"}, nil},
		{"latent completion f", []string{"fish"}, nil},
		{"latent sample --prior ", prior.Names(), nil},
		{"latent sample --run " + fitted + " --prior ", []string{prior.Auto, prior.Normal, prior.KindGMM}, notFitted},
		{"latent score --prior ", append([]string{vae.AllPriors}, prior.Names()...), nil},
		{"latent prior score --run " + fitted + " --kind ", []string{prior.KindGMM}, notFitted},
		{"latent data fetch ", data.Fetchable(), nil},
		{"latent data --data s", []string{data.Shapes, data.Sprites}, []string{data.MNIST}},
		{"latent train --data " + runs + "/", []string{filepath.Join(runs, "notarun") + "/"}, []string{data.Sprites}},
		{"latent train --likelihood ", []string{models.Bernoulli, models.Gaussian, models.DiscreteLogistic}, nil},
		{"latent train --model ", []string{models.Conv, models.ResNet, models.Ladder}, nil},
		{"latent map --method ", vae.MapMethods(), nil},
		{"latent interpolate --method ", []string{string(generate.MethodSlerp), string(generate.MethodLerp)}, []string{vae.MapPCA}},
		{"latent sample --run " + runs + "/", []string{fitted, filepath.Join(runs, "notarun") + "/"}, nil},
	}
	bin := t.TempDir()
	wrapper := fmt.Sprintf("#!/bin/sh\nLATENT_RUN_MAIN=1 exec %s \"$@\"\n", shQuote(os.Args[0]))
	if err := os.WriteFile(filepath.Join(bin, "latent"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, shell := range shells() {
		t.Run(shell, func(t *testing.T) {
			if _, err := exec.LookPath(shell); err != nil {
				testenv.Missing(t, "%s is not installed for its completion test (`make shells` installs it)", shell)
			}
			if shell == "bash" && !fileExists(bashCompletion) {
				testenv.Missing(t, "%s is not installed: cobra's bash script needs the bash-completion package (`make shells` installs it)", bashCompletion)
			}
			var out bytes.Buffer
			if code := run([]string{"completion", shell}, &out, io.Discard); code != 0 {
				t.Fatalf("latent completion %s: exit %d", shell, code)
			}
			script := filepath.Join(t.TempDir(), "latent."+shell)
			if err := os.WriteFile(script, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			// From a file: fish -n -c reports a syntax error but exits 0.
			if out, err := exec.Command(shell, "-n", script).CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s -n: %v: %s", shell, err, out)
			}
			for _, tc := range tests {
				cmd := exec.Command(shell, "-c", completeIn(shell, script, tc.line))
				cmd.Env = env
				raw, err := cmd.CombinedOutput()
				got := completionWords(string(raw))
				for _, w := range tc.want {
					if err != nil || !slices.Contains(got, w) {
						t.Errorf("%s: completing %q: %q (%v), want %q among them", shell, tc.line, got, err, w)
					}
				}
				for _, w := range tc.notWant {
					if slices.Contains(got, w) {
						t.Errorf("%s: completing %q: %q, want no %q", shell, tc.line, got, w)
					}
				}
			}
		})
	}
}

// bashCompletion is the bash-completion package's script, whose
// _get_comp_words_by_ref cobra's bash script calls.
const bashCompletion = "/usr/share/bash-completion/bash_completion"

// completeIn returns a shell command line that sources the completion
// script of shell and prints the completions of line (the cursor at its
// end), one a line, each maybe followed by a description. bash and zsh
// run the script's function as the shell's completion would, with
// COMP_WORDS or words set; zsh's completion builtins, which work only
// inside a completion widget, are stood in for by functions that print
// what they are given.
func completeIn(shell, script, line string) string {
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shQuote(w)
	}
	list := strings.Join(quoted, " ")
	switch shell {
	case "bash":
		return fmt.Sprintf(`source %s; source %s; compopt() { :; }; COMP_LINE=%s; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(%s); COMP_CWORD=%d; `+
			`__start_latent; printf '%%s\n' "${COMPREPLY[@]}"`, bashCompletion, shQuote(script), shQuote(line), list, len(words)-1)
	case "zsh":
		return fmt.Sprintf(`compdef() { :; }; _describe() { print -rl -- "${completions[@]}"; }; compadd() { print -rl -- "${@[-1]}"; }; `+
			`_arguments() { :; }; source %s; words=(%s); CURRENT=%d; _latent`, shQuote(script), list, len(words))
	}
	return fmt.Sprintf("source %s; complete -C %s", shQuote(script), shQuote(line))
}

// completionWords returns the completions a shell printed, one a line,
// without their descriptions (after a tab, two spaces or zsh's unescaped
// colon).
func completionWords(out string) []string {
	var words []string
	for _, l := range strings.Split(out, "\n") {
		l, _, _ = strings.Cut(l, "\t")
		l, _, _ = strings.Cut(l, "  ")
		if i := regexp.MustCompile(`[^\\]:`).FindStringIndex(l); i != nil {
			l = l[:i[0]+1]
		}
		if l = strings.ReplaceAll(strings.TrimSpace(l), `\:`, ":"); l != "" {
			words = append(words, l)
		}
	}
	return words
}

// shQuote quotes s for a POSIX shell, zsh or fish in single quotes.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fileExists reports whether path names a file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
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
