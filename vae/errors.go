package vae

import "fmt"

// ArgError is an error in a value the caller gave (a prior's name, a class
// label): what a command reports as a usage error.
type ArgError struct{ Err error }

// Error is the underlying error's text.
func (e *ArgError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ArgError) Unwrap() error { return e.Err }

// argErr wraps err as an *ArgError (nil stays nil).
func argErr(err error) error {
	if err == nil {
		return nil
	}
	return &ArgError{err}
}

// argErrorf is an *ArgError formatted as by fmt.Errorf.
func argErrorf(format string, args ...any) error {
	return &ArgError{fmt.Errorf(format, args...)}
}
