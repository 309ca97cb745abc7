package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/internal/suggest"
)

// RunFunc is a command's body: it runs on the operands left once cobra
// has parsed the command's flags.
type RunFunc func(args []string, stdout, stderr io.Writer) error

// Command is one command of a program, a node of the tree cobra runs.
type Command struct {
	Use     string // its name, then the synopsis of its operands and flags
	Summary string
	Long    string                          // help after the synopsis
	Define  func(fs *pflag.FlagSet) RunFunc // defines its flags and returns its body; nil for a group of subcommands
	Sub     []Command
	// Operands says the body takes operands; without it, any operand is
	// refused (NoOperands, after Program.Operand) before the body runs.
	Operands bool
	// Args completes its operands (nil: none).
	Args Completer
}

// Program is a command-line program: its command tree and what is
// particular to it.
type Program struct {
	Name, Short string
	Commands    []Command
	// Hints are the advice for the sentinel errors its libraries report
	// without naming flags.
	Hints []Hint
	// IsUsage reports whether err, not a UsageError, is a mistake in the
	// command line all the same (a library's refusal of a value the caller
	// gave); nil for none.
	IsUsage func(err error) bool
	// Operand, when set, may refuse the first operand of a command that
	// takes none with a better reason than NoOperands' (nil: no opinion).
	Operand func(fs *pflag.FlagSet, operand string) error
	// Completers complete flag values, by flag name, or by command path and
	// flag name ("prog cmd --flag") where one command's flag differs.
	Completers map[string]Completer
}

// Run runs the command line args and returns the exit status.
func (p Program) Run(args []string, stdout, stderr io.Writer) int {
	root := p.Root(stdout, stderr)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	cmd, err := root.ExecuteC()
	return p.ExitStatus(cmd, err, stderr)
}

// Root builds the program's command tree on cobra, writing to stdout and
// stderr.
func (p Program) Root(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   p.Name,
		Short: p.Short,
		Args:  UnknownCommand, SilenceErrors: true, SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		// Required flags are checked here, before cobra's own check, to say what they take.
		PersistentPreRunE: checkRequired,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().Bool("quiet", false, QuietUsage)
	root.SetFlagErrorFunc(FlagError)
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		if cmd.HasParent() {
			helpText(cmd.OutOrStdout(), cmd)
		} else {
			commandList(cmd.OutOrStdout(), cmd)
		}
	})
	root.SetHelpCommand(helpCommand())
	root.CompletionOptions.DisableDefaultCmd = true
	for _, c := range p.Commands {
		root.AddCommand(p.cobra(c, stdout, stderr))
	}
	root.AddCommand(completionCommand(p.Name))
	p.completeValues(root)
	return root
}

// cobra returns c as a cobra command whose body writes to stdout and
// stderr (filtered by --quiet).
func (p Program) cobra(c Command, stdout, stderr io.Writer) *cobra.Command {
	cc := &cobra.Command{Use: c.Use, Short: c.Summary, Long: c.Long, Args: cobra.ArbitraryArgs, ValidArgsFunction: c.Args}
	if c.Define != nil {
		body := c.Define(cc.Flags())
		cc.RunE = func(cmd *cobra.Command, args []string) error {
			if !c.Operands {
				if err := p.noOperands(cmd.Flags(), args); err != nil {
					return err
				}
			}
			errOut := stderr
			if quiet, _ := cmd.Flags().GetBool("quiet"); quiet {
				q := &quietWriter{w: stderr, prefix: p.Name + " "}
				defer q.flush()
				errOut = q
			}
			return body(args, stdout, errOut)
		}
	}
	for _, s := range c.Sub {
		cc.AddCommand(p.cobra(s, stdout, stderr))
	}
	if len(c.Sub) > 0 {
		cc.Args = UnknownCommand
		if c.Define == nil {
			cc.RunE = func(cmd *cobra.Command, _ []string) error {
				return Usagef("%s wants a subcommand: %s", cmd.Name(), suggest.Either(CommandNames(cmd)))
			}
		}
	}
	return cc
}

// noOperands refuses the operands args of a command with the flags fs
// that takes none: Operand's reason for the first, else NoOperands'.
func (p Program) noOperands(fs *pflag.FlagSet, args []string) error {
	if len(args) > 0 && p.Operand != nil {
		if err := p.Operand(fs, args[0]); err != nil {
			return err
		}
	}
	return NoOperands(args)
}

// helpCommand is `PROG help [command [subcommand]]`: the list of
// commands, or one command's flags, on stdout.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use: "help [command]", Short: "show the list of commands, or a command's flags",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return CommandNames(parent), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 { // every command has Args: Find reports no error
				return Usagef("want one command name, got %q%s", args, suggestion(rest, CommandNames(target)))
			}
			return target.Help()
		},
	}
}

// UnknownCommand is the Args of a command with subcommands: an operand
// is a subcommand cobra did not find, refused with the nearest suggested.
func UnknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	what := "command"
	if cmd.HasParent() {
		what = "subcommand"
	}
	return Usagef("unknown %s %q%s", what, args[0], suggestion(args[:1], CommandNames(cmd)))
}

// ExitStatus reports the error of cmd on stderr and returns the exit
// status: 0; 2 for a usage error (UsageError, or what IsUsage accepts);
// the code of an Exit; else 1, with the advice of Hints that names only
// flags cmd accepts.
func (p Program) ExitStatus(cmd *cobra.Command, err error, stderr io.Writer) int {
	var bad UsageError
	var code Exit
	name := strings.TrimPrefix(cmd.CommandPath(), p.Name+" ")
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case !cmd.HasParent():
		fmt.Fprintf(stderr, "%s: %v\nRun '%s help' for the list of commands.\n", p.Name, err, p.Name)
		return 2
	case errors.As(err, &bad), p.IsUsage != nil && p.IsUsage(err):
		fmt.Fprintf(stderr, "%s %s: %v\nRun '%s %s --help' for usage.\n", p.Name, name, err, p.Name, name)
		return 2
	}
	fmt.Fprintf(stderr, "%s %s: %v%s\n", p.Name, name, err, Advice(p.Hints, err, cmd.Flags()))
	return 1
}

// commandList writes the list of root's commands.
func commandList(w io.Writer, root *cobra.Command) {
	name := root.Name()
	fmt.Fprintln(w, root.Short)
	fmt.Fprintf(w, "\nUsage: %s <command> [flags]   (%s help <command>, or %s <command> --help, for its flags)\n", name, name, name)
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range Subcommands(root) {
		fmt.Fprintf(w, "  %-12s %s\n", c.Name(), c.Short)
		for _, s := range Subcommands(c) {
			fmt.Fprintf(w, "    %-10s %s\n", s.Name(), s.Short)
		}
	}
	fmt.Fprintln(w, "\nEvery command takes --quiet (no progress or informational lines on stderr).")
}

// Subcommands returns cmd's subcommands that a user runs, in order
// (neither help nor cobra's hidden ones).
func Subcommands(cmd *cobra.Command) []*cobra.Command {
	var subs []*cobra.Command
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			subs = append(subs, c)
		}
	}
	return subs
}

// CommandNames returns the names of cmd's subcommands, in order.
func CommandNames(cmd *cobra.Command) []string {
	var names []string
	for _, c := range Subcommands(cmd) {
		names = append(names, c.Name())
	}
	return names
}

// suggestion returns "; did you mean X?" naming the command of names
// nearest the one of typed (suggest.Closest), or "" when none is near or
// typed is empty.
func suggestion(typed []string, names []string) string {
	if len(typed) == 0 {
		return ""
	}
	if best := suggest.Closest(typed[0], names); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// Hint is the advice added to an error that wraps Err: Text, naming the
// flag --Flag, from commands that accept that flag, else Other (which
// names no flag; "" for no advice).
type Hint struct {
	Err               error
	Flag, Text, Other string
}

// Advice returns the advice of hints for err from a command with the flag
// set fs: it names only flags of fs.
func Advice(hints []Hint, err error, fs *pflag.FlagSet) string {
	for _, h := range hints {
		if !errors.Is(err, h.Err) {
			continue
		}
		text := h.Other
		if fs != nil && fs.Lookup(h.Flag) != nil {
			text = h.Text
		}
		if text == "" {
			return ""
		}
		return " (" + text + ")"
	}
	return ""
}
