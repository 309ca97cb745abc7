package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/rundir"
)

// The conventions every command follows: cobra parses its flags (GNU
// style: --name, and -o, -n, -k for the one-letter ones), --help prints
// on stdout and exits 0, and a usage error (an unknown flag, a bad value,
// a missing required flag, an unexpected argument) exits 2 (exitStatus).

// quietUsage is the usage of --quiet, which every command takes.
const quietUsage = "print no progress or informational lines on stderr (errors and warnings still do)"

// printFlags lists a flag set GNU-style: --name TYPE, then the usage and the
// default where it is not the zero value. cobra's --help is left out.
func printFlags(w io.Writer, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		arg, usage := pflag.UnquoteUsage(f)
		line := "  " + dashed(f.Name)
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s", line, usage)
		if d := f.DefValue; d != "" && d != "0" && d != "false" {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// usageError is a mistake in the command line: latent exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usageErr marks err, when not nil, as a usage error.
func usageErr(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// usagef is a usage error formatted as fmt.Errorf does.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// flagError is cobra's FlagErrorFunc: pflag's parse error as a usage
// error naming the flag as it is typed, with the nearest flag of cmd
// suggested for an unknown one.
func flagError(cmd *cobra.Command, err error) error {
	var (
		unknown *pflag.NotExistError
		noValue *pflag.ValueRequiredError
		bad     *pflag.InvalidValueError
	)
	switch {
	case errors.As(err, &unknown):
		name, typed := unknown.GetSpecifiedName(), "--"+unknown.GetSpecifiedName()
		if short := unknown.GetSpecifiedShortnames(); short != "" {
			name, typed = short, "-"+short // -run: --run with one dash, not -r -u -n
		}
		return usagef("flag provided but not defined: %s%s", typed, flagSuggestion(cmd.Flags(), name))
	case errors.As(err, &noValue):
		return usagef("flag needs an argument: %s", dashed(noValue.GetFlag().Name))
	case errors.As(err, &bad):
		return usagef("invalid value %q for flag %s: %v", bad.GetValue(), dashed(bad.GetFlag().Name), errors.Unwrap(bad))
	}
	return usageErr(err)
}

// flagSuggestion returns "; did you mean --X?" for an unknown flag name
// near one of fs's (suggest.Closest), else "".
func flagSuggestion(fs *pflag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	best := suggest.Closest(name, names) // --temp for --temperature
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", dashed(best))
}

// dashed writes a flag's name as it is typed: --name, or -n for one letter.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parseArgs finishes parsing a command that takes flags only: cobra has
// parsed fs, and args are the operands it left, which are refused.
func parseArgs(fs *pflag.FlagSet, args []string) error {
	if len(args) > 0 {
		if dir := args[0]; fs.Lookup("run") != nil && isRunFolder(dir) {
			return usagef("unexpected argument %q: it is a run folder; give it as --run %s", dir, dir)
		}
		return usagef("unexpected arguments %q (flags start with --)", args)
	}
	return nil
}

// required marks fs's flag name as required: a command line without it is
// refused before the command runs (checkRequired), and completion offers
// it first.
func required(fs *pflag.FlagSet, name string) {
	if err := cobra.MarkFlagRequired(fs, name); err != nil {
		panic(err) // a flag that is not defined: a bug
	}
}

// checkRequired refuses a command line that lacks a required flag, naming
// it and what it takes (its usage).
func checkRequired(cmd *cobra.Command, _ []string) error {
	var missing *pflag.Flag
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Annotations[cobra.BashCompOneRequiredFlag]; ok && !f.Changed && missing == nil {
			missing = f
		}
	})
	if missing != nil {
		_, usage := pflag.UnquoteUsage(missing)
		return usagef("%s is required (%s)", dashed(missing.Name), usage)
	}
	return nil
}

// quietWriter is a command's stderr under --quiet: it passes on only
// warnings and the messages a command prints itself as errors are printed,
// the lines that start with "warning:" or "latent " (such as train's
// advice after Ctrl-C).
type quietWriter struct {
	w    io.Writer
	line []byte
}

// kept reports whether --quiet keeps line.
func (q *quietWriter) kept(line []byte) bool {
	return bytes.HasPrefix(line, []byte("warning:")) || bytes.HasPrefix(line, []byte("latent "))
}

func (q *quietWriter) Write(p []byte) (int, error) {
	q.line = append(q.line, p...)
	for {
		i := bytes.IndexAny(q.line, "\r\n")
		if i < 0 {
			return len(p), nil
		}
		if q.kept(q.line) {
			if _, err := q.w.Write(q.line[:i+1]); err != nil {
				return len(p), err
			}
		}
		q.line = q.line[i+1:]
	}
}

// flush passes on an unfinished line that is kept.
func (q *quietWriter) flush() {
	if q.kept(q.line) {
		fmt.Fprintf(q.w, "%s\n", q.line)
	}
	q.line = nil
}

// isRunFolder reports whether dir holds a run (its config.json).
func isRunFolder(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, rundir.ConfigFile))
	return err == nil && info.Mode().IsRegular()
}

// helpText writes cmd's help: its synopsis, its description, its
// subcommands and its flags with their defaults.
func helpText(w io.Writer, cmd *cobra.Command) {
	_, synopsis, _ := strings.Cut(cmd.Use, " ")
	fmt.Fprintf(w, "Usage: %s %s\n", cmd.CommandPath(), synopsis)
	if cmd.Long != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.Long)
	}
	if subs := subcommands(cmd); len(subs) > 0 {
		fmt.Fprintln(w, "\nCommands:")
		for _, s := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", s.Name(), s.Short)
		}
	}
	cmd.InheritedFlags() // merges --quiet into cmd.Flags()
	fmt.Fprintln(w, "\nFlags:")
	printFlags(w, cmd.Flags())
}
