package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// printFlags lists a flag set GNU-style: --name TYPE, then the usage and the
// default where it is not the zero value. cobra's --help is left out.
func printFlags(w io.Writer, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		arg, usage := pflag.UnquoteUsage(f)
		line := "  " + Dashed(f.Name)
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

// helpText writes cmd's help: its synopsis, its description, its
// subcommands and its flags with their defaults.
func helpText(w io.Writer, cmd *cobra.Command) {
	_, synopsis, _ := strings.Cut(cmd.Use, " ")
	fmt.Fprintf(w, "Usage: %s %s\n", cmd.CommandPath(), synopsis)
	if cmd.Long != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.Long)
	}
	if subs := Subcommands(cmd); len(subs) > 0 {
		fmt.Fprintln(w, "\nCommands:")
		for _, s := range subs {
			fmt.Fprintf(w, "  %-8s %s\n", s.Name(), s.Short)
		}
	}
	cmd.InheritedFlags() // merges --quiet into cmd.Flags()
	fmt.Fprintln(w, "\nFlags:")
	printFlags(w, cmd.Flags())
}
