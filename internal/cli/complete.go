package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latent-vae/latent/internal/suggest"
)

// Shells are the shells `PROG completion` writes a script for.
func Shells() []string { return []string{"bash", "zsh", "fish"} }

// completionCommand is `PROG completion bash|zsh|fish`: cobra's script
// for the shell, which completes commands, subcommands, flags and their
// values by asking the program, named name, itself (`PROG __complete …`).
func completionCommand(name string) *cobra.Command {
	return &cobra.Command{
		Use: "completion bash|zsh|fish", Short: "print a shell completion script: completion bash|zsh|fish",
		Long: strings.ReplaceAll("  bash: source <(PROG completion bash)        (or save it in ~/.local/share/bash-completion/completions/PROG; needs the bash-completion package)\n"+
			"  zsh:  PROG completion zsh > \"${fpath[1]}/_PROG\"\n"+
			"  fish: PROG completion fish > ~/.config/fish/completions/PROG.fish", "PROG", name),
		ValidArgs: Shells(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return Usagef("want one shell name: %s", suggest.Either(Shells()))
			}
			root, w := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, true)
			}
			return Usagef("%q: unknown shell; want %s", args[0], suggest.Either(Shells()))
		},
	}
}

// Completer completes a flag's value, or a command's operands, on cmd.
type Completer = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective)

// completeValues registers Completers on every command's flags.
func (p Program) completeValues(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, f := range p.Completers {
			flagName := name
			if path, n, ok := strings.Cut(name, " --"); ok {
				if path != c.CommandPath() {
					continue
				}
				flagName = n
			} else if p.Completers[c.CommandPath()+" --"+name] != nil {
				continue // the command's own
			}
			if c.Flags().Lookup(flagName) != nil {
				if err := c.RegisterFlagCompletionFunc(flagName, f); err != nil {
					panic(err) // registered twice: a bug
				}
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// Words completes a value from a fixed list.
func Words(list ...string) Completer {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return list, cobra.ShellCompDirectiveNoFileComp
	}
}

// FirstOperand completes a command's first operand from list, and no
// other operand.
func FirstOperand(list func() []string) Completer {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return list(), cobra.ShellCompDirectiveNoFileComp
	}
}

// Folders completes a folder of the kind is recognises: the folders
// beside the one being typed that is accepts, and, ending in a slash, the
// other folders, to go down into.
func Folders(is func(dir string) bool) Completer {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		dir, _ := filepath.Split(toComplete)
		entries, err := os.ReadDir(filepath.Clean(dir + "."))
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, e := range entries {
			path := dir + e.Name()
			if !e.IsDir() || !strings.HasPrefix(path, toComplete) || strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(toComplete, dir+".") {
				continue
			}
			if is(path) {
				out = append(out, path)
			} else {
				out = append(out, path+string(filepath.Separator))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}
