package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/suggest"
)

// The conventions every command follows: cobra parses its flags (GNU
// style: --name, and one dash for one-letter ones), --help prints on
// stdout and exits 0, and a usage error (an unknown flag, a bad value, a
// missing required flag, an unexpected argument) exits 2 (ExitStatus).

// UsageError is a mistake in the command line: the program exits 2.
type UsageError struct{ Err error }

// Error is the mistake's text.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the mistake.
func (e UsageError) Unwrap() error { return e.Err }

// UsageErr marks err, when not nil, as a usage error.
func UsageErr(err error) error {
	if err == nil {
		return nil
	}
	return UsageError{err}
}

// Usagef is a usage error formatted as fmt.Errorf does.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// Exit is an error that carries a process exit status and prints nothing
// more (a command that reported its own interruption, say).
type Exit int

// Error names the exit status.
func (e Exit) Error() string { return "exit " + strconv.Itoa(int(e)) }

// FlagError is cobra's FlagErrorFunc: pflag's parse error as a usage
// error naming the flag as it is typed, with the nearest flag of cmd
// suggested for an unknown one.
func FlagError(cmd *cobra.Command, err error) error {
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
		return Usagef("flag provided but not defined: %s%s", typed, flagSuggestion(cmd.Flags(), name))
	case errors.As(err, &noValue):
		return Usagef("flag needs an argument: %s", Dashed(noValue.GetFlag().Name))
	case errors.As(err, &bad):
		return Usagef("invalid value %q for flag %s: %v", bad.GetValue(), Dashed(bad.GetFlag().Name), errors.Unwrap(bad))
	}
	return UsageErr(err)
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
	return fmt.Sprintf("; did you mean %s?", Dashed(best))
}

// Dashed writes a flag's name as it is typed: --name, or -n for one letter.
func Dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// NoOperands refuses the operands args of a command that takes flags
// only; nil when there are none.
func NoOperands(args []string) error {
	if len(args) > 0 {
		return Usagef("unexpected arguments %q (flags start with --)", args)
	}
	return nil
}

// Required marks fs's flag name as required: a command line without it is
// refused before the command runs, naming what it takes, and completion
// offers it first.
func Required(fs *pflag.FlagSet, name string) {
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
		return Usagef("%s is required (%s)", Dashed(missing.Name), usage)
	}
	return nil
}

// Given returns the names of the flags of fs given on the command line.
func Given(fs *pflag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	return set
}
