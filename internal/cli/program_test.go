package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// errSentinel is a library's sentinel error that toy's hints advise on.
var errSentinel = errors.New("images differ")

// errBadValue is a library's refusal of a value given, which toy's
// IsUsage counts as a usage error.
type errBadValue struct{ error }

// toy is a small program on the conventions: a command with flags, one
// with a required flag, one that takes operands, a group of subcommands.
func toy() Program {
	return Program{
		Name: "toy", Short: "toy does little.",
		Commands: []Command{
			{Use: "draw --in DIR [-o out.png]", Summary: "draw a picture", Long: "  the long help", Define: func(fs *pflag.FlagSet) RunFunc {
				in := fs.String("in", "", "folder to read")
				n := fs.IntP("n", "n", 4, "number of things")
				fs.Bool("resize", false, "resize the images")
				out := OutFlag(fs, "out.png", "the picture", FormatPNG, FormatGIF)
				return func(_ []string, stdout, stderr io.Writer) error {
					fmt.Fprintln(stderr, "progress: 50%")
					fmt.Fprintln(stderr, "warning: slow")
					switch *in {
					case "sentinel":
						return fmt.Errorf("--in %s: %w", *in, errSentinel)
					case "bad":
						return errBadValue{errors.New("--in bad: want good")}
					case "exit":
						return Exit(130)
					}
					if _, err := CheckOut("-o", *out, nil, FormatPNG, FormatGIF); err != nil {
						return err
					}
					fmt.Fprintf(stdout, "drew %d from %s\n", *n, *in)
					return nil
				}
			}},
			{Use: "need --must X", Summary: "a required flag", Define: func(fs *pflag.FlagSet) RunFunc {
				fs.String("must", "", "what must be given")
				Required(fs, "must")
				return func([]string, io.Writer, io.Writer) error { return nil }
			}},
			{Use: "echo WORDS", Summary: "print its operands", Operands: true, Define: func(*pflag.FlagSet) RunFunc {
				return func(args []string, stdout, _ io.Writer) error {
					fmt.Fprintln(stdout, strings.Join(args, " "))
					return nil
				}
			}},
			{Use: "group fit|list", Summary: "a group", Sub: []Command{
				{Use: "fit", Summary: "fit one", Define: func(*pflag.FlagSet) RunFunc {
					return func([]string, io.Writer, io.Writer) error { return nil }
				}},
				{Use: "list", Summary: "list them", Define: func(*pflag.FlagSet) RunFunc {
					return func([]string, io.Writer, io.Writer) error { return nil }
				}},
			}},
		},
		Hints:   []Hint{{Err: errSentinel, Flag: "resize", Text: "--resize resizes them", Other: "resize them first"}},
		IsUsage: func(err error) bool { return errors.As(err, new(errBadValue)) },
		Operand: func(fs *pflag.FlagSet, operand string) error {
			if fs.Lookup("in") != nil && operand == "folder" {
				return Usagef("unexpected argument %q: give it as --in %s", operand, operand)
			}
			return nil
		},
	}
}

// TestProgram checks the conventions on toy: help on stdout with exit 0,
// usage errors on stderr with exit 2 and a pointer to --help, "did you
// mean" for commands, subcommands and flags, required flags named with
// what they take, operands refused unless a command takes them, advice
// that names only the command's flags, and exit statuses.
func TestProgram(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.png")
	tests := []struct {
		args     []string
		wantCode int
		want     string // on stdout for exit 0, else on stderr
	}{
		{nil, 0, "toy does little.\n\nUsage: toy <command> [flags]   (toy help <command>, or toy <command> --help, for its flags)\n\nCommands:\n  completion   print a shell completion script"},
		{[]string{"help"}, 0, "    fit        fit one\n"},
		{[]string{"help", "draw"}, 0, "Usage: toy draw --in DIR [-o out.png]\n\n  the long help\n\nFlags:\n  --in string\n      folder to read\n  -n int\n      number of things (default 4)\n"},
		{[]string{"draw", "--help"}, 0, "  --quiet\n      " + QuietUsage + "\n"},
		{[]string{"group", "--help"}, 0, "Commands:\n  fit      fit one\n"},
		{[]string{"draw", "--in", "d", "-o", out}, 0, "drew 4 from d\n"},
		{[]string{"echo", "a", "b"}, 0, "a b\n"},
		{[]string{"drwa"}, 2, "toy: unknown command \"drwa\"; did you mean \"draw\"?\nRun 'toy help' for the list of commands.\n"},
		{[]string{"help", "nope"}, 2, "want one command name"},
		{[]string{"group"}, 2, "toy group: group wants a subcommand: fit or list\nRun 'toy group --help' for usage.\n"},
		{[]string{"group", "fitt"}, 2, `unknown subcommand "fitt"; did you mean "fit"?`},
		{[]string{"help", "group", "lst"}, 2, `did you mean "list"?`},
		{[]string{"draw", "--inn", "d"}, 2, "toy draw: flag provided but not defined: --inn; did you mean --in?\nRun 'toy draw --help' for usage.\n"},
		{[]string{"draw", "-in", "d"}, 2, "flag provided but not defined: -in; did you mean --in?"},
		{[]string{"draw", "-n", "x"}, 2, `invalid value "x" for flag -n: strconv.ParseInt`},
		{[]string{"draw", "--in"}, 2, "flag needs an argument: --in"},
		{[]string{"draw", "--in", "d", "extra"}, 2, `unexpected arguments ["extra"] (flags start with --)`},
		{[]string{"draw", "folder"}, 2, `unexpected argument "folder": give it as --in folder`},
		{[]string{"need"}, 2, "toy need: --must is required (what must be given)"},
		{[]string{"draw", "--in", "d", "-o", "x.bmp"}, 2, "-o x.bmp: unknown extension .bmp; want .png or .gif"},
		{[]string{"draw", "--in", "bad"}, 2, "toy draw: --in bad: want good\nRun 'toy draw --help' for usage.\n"},
		{[]string{"draw", "--in", "sentinel"}, 1, "toy draw: --in sentinel: images differ (--resize resizes them)\n"},
		{[]string{"draw", "--in", "exit"}, 130, ""},
		{[]string{"completion"}, 2, "want one shell name: bash, zsh or fish"},
		{[]string{"completion", "tcsh"}, 2, `"tcsh": unknown shell; want bash, zsh or fish`},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := toy().Run(tc.args, &stdout, &stderr)
		got, other := stdout.String(), stderr.String()
		if code != 0 {
			got, other = other, got
		}
		if code == 0 && other != "" && !strings.HasPrefix(tc.args[0], "draw") {
			t.Errorf("toy %q: stderr %q, want nothing there", tc.args, other)
		}
		if code != tc.wantCode || !strings.Contains(got, tc.want) {
			t.Errorf("toy %q: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, stdout.String(), stderr.String(), tc.wantCode, tc.want)
		}
	}
}

// TestQuiet checks that --quiet keeps a command's warnings and drops its
// other lines on stderr.
func TestQuiet(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"draw", "--quiet", "--in", "d", "-o", filepath.Join(t.TempDir(), "x.png")}
	if code := toy().Run(args, &stdout, &stderr); code != 0 || stderr.String() != "warning: slow\n" {
		t.Errorf("toy %q: exit %d, stderr %q; want exit 0 and the warning only", args, code, stderr.String())
	}
}

// TestAdvice checks that a hint names its flag only to a command that
// accepts it, and that an error without a hint gets no advice.
func TestAdvice(t *testing.T) {
	hints := toy().Hints
	with := pflag.NewFlagSet("with", pflag.ContinueOnError)
	with.Bool("resize", false, "")
	without := pflag.NewFlagSet("without", pflag.ContinueOnError)
	err := fmt.Errorf("loading: %w", errSentinel)
	for _, tc := range []struct {
		fs   *pflag.FlagSet
		err  error
		want string
	}{
		{with, err, " (--resize resizes them)"},
		{without, err, " (resize them first)"},
		{nil, err, " (resize them first)"},
		{with, errors.New("other"), ""},
	} {
		if got := Advice(hints, tc.err, tc.fs); got != tc.want {
			t.Errorf("Advice(%v) with flags %v: %q, want %q", tc.err, tc.fs != nil && tc.fs.Lookup("resize") != nil, got, tc.want)
		}
	}
}

// TestSuggestion checks the "did you mean" of mistyped commands, among
// latent's.
func TestSuggestion(t *testing.T) {
	names := []string{"info", "data", "train", "sample", "reconstruct", "interpolate", "traverse", "prior", "score", "features",
		"eval", "map", "plot", "anomaly", "neighbors", "serve", "export", "setup", "version", "completion"}
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
	if got := suggestion(nil, names); got != "" {
		t.Errorf("suggestion of nothing typed: %q, want none", got)
	}
}

// TestQuietWriter checks what --quiet lets through: warnings and a
// command's own "latent …" messages, whole, even when written in pieces;
// no other line, nor progress redrawn with \r.
func TestQuietWriter(t *testing.T) {
	var out bytes.Buffer
	q := &quietWriter{w: &out, prefix: "latent "}
	for _, s := range []string{"backend: xla\n", "warn", "ing: slow\nrun x: step 3\n", "50% |███ |\r", "60% |████|\r",
		"latent train: interrupted\n", "encoding: latent means\n", "warning: last"} {
		fmt.Fprint(q, s)
	}
	q.flush()
	if want := "warning: slow\nlatent train: interrupted\nwarning: last\n"; out.String() != want {
		t.Errorf("quiet output %q, want %q", out.String(), want)
	}
}

// TestOptionalValue checks a flag whose value may be left out or follow
// it as an operand: alone it takes its alone value, --f=V and --f V set
// V, an operand that is no value is left, and a bad value is a usage
// error naming the flag.
func TestOptionalValue(t *testing.T) {
	isDigit := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	for _, tc := range []struct {
		args      []string
		want      string
		operands  []string
		wantError string
	}{
		{nil, "", nil, ""},
		{[]string{"--ver"}, "13", nil, ""},
		{[]string{"--ver", "12"}, "12", nil, ""},
		{[]string{"--ver=12", "7"}, "12", []string{"7"}, ""},
		{[]string{"--ver", "x"}, "13", []string{"x"}, ""},
		{[]string{"--ver", "99"}, "", nil, `invalid value "99" for flag --ver: not 12 or 13`},
	} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		v := &version{}
		operands := OptionalValue(fs, v, "ver", "13", "a version", isDigit)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		rest, err := operands(fs.Args())
		if tc.wantError != "" {
			if !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), tc.wantError) {
				t.Errorf("%q: error %v, want a usage error %q", tc.args, err, tc.wantError)
			}
			continue
		}
		if err != nil || v.s != tc.want || strings.Join(rest, " ") != strings.Join(tc.operands, " ") {
			t.Errorf("%q: value %q, operands %q (%v); want %q and %q", tc.args, v.s, rest, err, tc.want, tc.operands)
		}
	}
}

// version is a flag value that takes 12 or 13.
type version struct{ s string }

func (v *version) String() string { return v.s }
func (v *version) Type() string   { return "" }
func (v *version) Set(s string) error {
	if s != "12" && s != "13" {
		return errors.New("not 12 or 13")
	}
	v.s = s
	return nil
}

// TestOutputChecks checks -o's checks: required, its folder, not a
// folder, what protect refuses, its extension, and stdout only for -o.
func TestOutputChecks(t *testing.T) {
	dir := t.TempDir()
	protect := func(path string) string {
		if filepath.Base(path) == "keep.png" {
			return "is kept"
		}
		return ""
	}
	tests := []struct {
		name, path string
		side       bool
		want       string // "" for accepted
	}{
		{"-o", filepath.Join(dir, "a.png"), false, ""},
		{"-o", filepath.Join(dir, "a.GIF"), false, ""},
		{"-o", Stdout, false, ""},
		{"-o", "", false, "-o: an output file is required"},
		{"-o", filepath.Join(dir, "none", "a.png"), false, "the folder " + filepath.Join(dir, "none") + " does not exist"},
		{"-o", dir, false, "is a folder, want a file name"},
		{"-o", filepath.Join(dir, "keep.png"), false, "keep.png: is kept"},
		{"-o", filepath.Join(dir, "a.bmp"), false, "unknown extension .bmp; want .png or .gif"},
		{"-o", filepath.Join(dir, "a"), false, "no extension; want .png or .gif"},
		{"--strip", "", true, ""},
		{"--strip", Stdout, true, "--strip -: only -o writes to stdout"},
		{"--strip", filepath.Join(dir, "keep.png"), true, "is kept"},
	}
	for _, tc := range tests {
		var err error
		if tc.side {
			err = CheckSideOut(tc.name, tc.path, protect, FormatPNG, FormatGIF)
		} else {
			_, err = CheckOut(tc.name, tc.path, protect, FormatPNG, FormatGIF)
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %q: %v, want it accepted", tc.name, tc.path, err)
		case tc.want != "" && (!errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %q: %v, want a usage error %q", tc.name, tc.path, err, tc.want)
		}
	}
	if f, err := OutFormat("-o", Stdout, FormatGIF, FormatPNG); err != nil || f != FormatGIF {
		t.Errorf("OutFormat of stdout: %q (%v), want the first format", f, err)
	}
}

// TestWriteOutput checks that an output goes to its file atomically, or
// to stdout for Stdout, and that a summary goes where the output does not.
func TestWriteOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	var stdout, stderr bytes.Buffer
	if err := WriteBytes(path, &stdout, []byte("file")); err != nil {
		t.Fatal(err)
	}
	Wrote(path, &stdout, &stderr, "%d bytes", 4)
	if b, err := os.ReadFile(path); err != nil || string(b) != "file" || stdout.String() != "wrote "+path+": 4 bytes\n" || stderr.Len() != 0 {
		t.Errorf("to a file: %q (%v), stdout %q, stderr %q", b, err, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if err := WriteBytes(Stdout, &stdout, []byte("out")); err != nil {
		t.Fatal(err)
	}
	Wrote(Stdout, &stdout, &stderr, "%d bytes", 3)
	if stdout.String() != "out" || stderr.String() != "wrote stdout: 3 bytes\n" {
		t.Errorf("to stdout: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// TestGiven checks that Given names the flags on the command line only.
func TestGiven(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Int("a", 1, "")
	fs.Int("b", 2, "")
	if err := fs.Parse([]string{"--b", "2"}); err != nil {
		t.Fatal(err)
	}
	if got := Given(fs); len(got) != 1 || !got["b"] {
		t.Errorf("Given: %v, want b only", got)
	}
}
