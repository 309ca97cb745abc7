package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/rundir"
)

// The conventions every command follows: its flag set comes from
// newFlagSet and is parsed by parseArgs (or parseFlags), so that --help
// prints on stdout and exits 0, and a usage error (an unknown flag, a bad
// value, a missing required flag, an unexpected argument) exits 2.

// newFlagSet returns the flag set of a subcommand, with --quiet. Parsing it
// with parseFlags reports errors as usageError and --help as helpRequest;
// a direct fs.Parse prints them on stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("latent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: latent %s %s\n\nFlags:\n", name, synopsis)
		printFlags(w, fs)
	}
	fs.Bool("quiet", false, "print no progress or informational lines on stderr (errors and warnings still do)")
	return fs
}

// printFlags lists a flag set GNU-style: --name TYPE, then the usage and the
// default where it is not the zero value.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + dash + f.Name
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

// helpRequest is returned for --help or -h: the caller prints fs's usage
// on stdout and exits 0.
type helpRequest struct{ fs *flag.FlagSet }

func (helpRequest) Error() string { return "help requested" }
func (helpRequest) Unwrap() error { return flag.ErrHelp }

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

// parseFlags parses args into fs, returning helpRequest for --help and a
// usageError, in GNU style (--name), for any other failure.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the caller reports
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return helpRequest{fs}
	case err != nil:
		return usageError{errors.New(gnuFlagNames(err.Error()) + flagSuggestion(fs, err))}
	}
	return nil
}

// flagSuggestion returns "; did you mean --X?" for an unknown flag near one
// of fs's (suggest.Closest), else "".
func flagSuggestion(fs *flag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	best := suggest.Closest(strings.TrimLeft(name, "-"), names) // --temp for --temperature
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

// parseArgs parses args into fs, which takes flags only.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if dir := fs.Arg(0); fs.Lookup("run") != nil && isRunFolder(dir) {
			return usagef("unexpected argument %q: it is a run folder; give it as --run %s", dir, dir)
		}
		return usagef("unexpected arguments %q (flags start with --)", fs.Args())
	}
	return nil
}

// gnuFlagNames rewrites the flag package's "-name" in its error messages
// as "--name" (one-letter flags keep one dash).
func gnuFlagNames(msg string) string {
	for _, marker := range []string{"flag: -", "flag -", "for -", "not defined: -", "argument: -"} {
		i := strings.Index(msg, marker)
		if i < 0 {
			continue
		}
		at := i + len(marker)
		end := strings.IndexAny(msg[at:], ": =")
		if end < 0 {
			end = len(msg) - at
		}
		if end > 1 && msg[at] != '-' {
			return msg[:at] + "-" + msg[at:]
		}
	}
	return msg
}

// quietArg reports whether --quiet is among a command's flags (before any
// "--").
func quietArg(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "quiet" {
			continue
		}
		if !hasValue {
			return true
		}
		on, err := strconv.ParseBool(value)
		return err == nil && on
	}
	return false
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
