package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// shells are the shells `latent completion` writes a script for.
func shells() []string { return []string{"bash", "zsh", "fish"} }

// completionCommand is `latent completion bash|zsh|fish`: cobra's script
// for the shell, which completes commands, subcommands, flags and their
// values by asking latent itself (`latent __complete …`).
func completionCommand() *cobra.Command {
	return &cobra.Command{
		Use: "completion bash|zsh|fish", Short: "print a shell completion script: completion bash|zsh|fish",
		Long: "  bash: source <(latent completion bash)        (or save it in ~/.local/share/bash-completion/completions/latent; needs the bash-completion package)\n" +
			"  zsh:  latent completion zsh > \"${fpath[1]}/_latent\"\n" +
			"  fish: latent completion fish > ~/.config/fish/completions/latent.fish",
		ValidArgs: shells(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("want one shell name: %s", prior.Either(shells()))
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
			return usagef("%q: unknown shell; want %s", args[0], prior.Either(shells()))
		},
	}
}

// completer completes a flag's value on cmd.
type completer = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective)

// valueCompleters are the completions of flag values, by flag name, or
// by command path and flag name where a command's flag differs.
func valueCompleters() map[string]completer {
	return map[string]completer{
		"run":                         completeRunFolders,
		"init":                        completeRunFolders,
		"prior":                       completePriors,
		"kind":                        words(prior.KindNames()...),
		"latent prior score --kind":   completeFittedKinds,
		"likelihood":                  words(models.Bernoulli, models.Gaussian, models.DiscreteLogistic),
		"model":                       words(models.ModelNames()...),
		"method":                      words(vae.MapMethods()...),
		"latent interpolate --method": words(string(generate.MethodSlerp), string(generate.MethodLerp)),
		"split":                       words("train", "test"),
		"among":                       words("train", "test"),
		"objective":                   words("elbo", rundir.BetaTCVAE, rundir.FactorVAE),
		"tc-estimator":                words(rundir.MSS, rundir.MWS),
	}
}

// completeValues registers the value completions of every command's
// flags, and data fetch's data set names.
func completeValues(root *cobra.Command) {
	completers := valueCompleters()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, f := range completers {
			flagName := name
			if path, n, ok := strings.Cut(name, " --"); ok {
				if path != c.CommandPath() {
					continue
				}
				flagName = n
			} else if completers[c.CommandPath()+" --"+name] != nil {
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
	if fetch, _, err := root.Find([]string{"data", "fetch"}); err == nil {
		fetch.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return data.Fetchable(), cobra.ShellCompDirectiveNoFileComp
		}
	}
}

// words completes a value from a fixed list.
func words(list ...string) completer {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return list, cobra.ShellCompDirectiveNoFileComp
	}
}

// completePriors completes --prior: the flag's default (auto, or all for
// score), normal, uniform and the kinds, or with --run on the line the kinds
// fitted in that run.
func completePriors(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	names := []string{prior.Auto, prior.Normal, prior.Uniform}
	if def := cmd.Flags().Lookup("prior").DefValue; !slices.Contains(names, def) {
		names = append([]string{def}, names...)
	}
	kinds, _ := completeFittedKinds(cmd, nil, "")
	return append(names, kinds...), cobra.ShellCompDirectiveNoFileComp
}

// completeFittedKinds completes a fitted prior's kind: those fitted in
// the run of --run, or every kind when --run is not on the line.
func completeFittedKinds(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	run, _ := cmd.Flags().GetString("run")
	if run == "" {
		return prior.KindNames(), cobra.ShellCompDirectiveNoFileComp
	}
	var kinds []string
	for _, k := range prior.KindNames() {
		if prior.Fitted(run, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, cobra.ShellCompDirectiveNoFileComp
}

// completeRunFolders completes a run folder: the folders beside the one
// being typed that hold a run (config.json), and, ending in a slash, the
// other folders, to go down into.
func completeRunFolders(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
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
		if isRunFolder(path) {
			out = append(out, path)
		} else {
			out = append(out, path+string(filepath.Separator))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
