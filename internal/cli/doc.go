// Package cli is the command-line conventions of a program built on cobra
// and pflag, apart from the program's own commands (as gh's pkg/cmdutil or
// kubectl's cmd/util): a command tree from a table (Program, Command), help
// on stdout written from the flag definitions, each default once; usage
// errors (UsageError) with exit status 2 and pflag's errors turned into
// them, naming the flag as typed, with "did you mean" for commands,
// subcommands and flags; required flags reported with what they take;
// advice that names only flags the failing command accepts (Hint);
// --quiet's filter of stderr; -o's format from its extension, -o - for
// stdout, and atomic writes an interrupt leaves no litter of; and shell
// completion of commands, flags and their values.
//
// It knows nothing of the program it serves: what is particular to one
// (its commands, the errors its libraries report as usage errors, the
// advice for their sentinel errors, the completion of its values) comes in
// through Program's fields.
package cli
