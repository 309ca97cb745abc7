package main

import (
	"slices"

	"github.com/spf13/cobra"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// valueCompleters are the completions of flag values, by flag name, or
// by command path and flag name where a command's flag differs.
func valueCompleters() map[string]cli.Completer {
	return map[string]cli.Completer{
		"run":                         cli.Folders(rundir.IsRunFolder),
		"data":                        completeDataSpec,
		"init":                        cli.Folders(rundir.IsRunFolder),
		"prior":                       completePriors,
		"kind":                        cli.Words(prior.KindNames()...),
		"latent prior score --kind":   completeFittedKinds,
		"likelihood":                  cli.Words(models.Bernoulli, models.Gaussian, models.DiscreteLogistic),
		"model":                       cli.Words(models.ModelNames()...),
		"method":                      cli.Words(vae.MapMethods()...),
		"latent interpolate --method": cli.Words(string(generate.MethodSlerp), string(generate.MethodLerp)),
		"split":                       cli.Words("train", "test"),
		"among":                       cli.Words("train", "test"),
		"objective":                   cli.Words("elbo", rundir.BetaTCVAE, rundir.FactorVAE),
		"tc-estimator":                cli.Words(rundir.MSS, rundir.MWS),
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
