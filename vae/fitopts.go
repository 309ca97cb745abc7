package vae

import (
	"fmt"

	"github.com/latent-vae/latent/prior"
)

// FitKind checks what a prior fit's cfg chooses (`latent prior fit`'s
// --kind, --draws and --draw-temperature) and returns its kind.
func FitKind(cfg prior.Config) (prior.Kind, error) {
	kind, ok := prior.Lookup(cfg.Kind)
	switch {
	case cfg.Kind == "":
		return kind, argErrorf("--kind: the prior to fit is required: %s", prior.Either(prior.KindNames()))
	case !ok:
		return kind, argErrorf("--kind %q: want %s", cfg.Kind, prior.Either(prior.KindNames()))
	case cfg.Draws < 0:
		return kind, argErrorf("--draws %d: want ≥ 1 (0: the default)", cfg.Draws)
	case !(cfg.DrawTemperature >= 0 && cfg.DrawTemperature <= 1):
		return kind, argErrorf("--draw-temperature %g: want a value in [0, 1]", cfg.DrawTemperature)
	}
	return kind, nil
}

// PrepareFit checks a fit's cfg (FitKind) and recipe (its kind's own
// flags), and returns cfg with the kind's draws when it gives none.
func PrepareFit(recipe prior.Recipe, cfg prior.Config) (prior.Config, error) {
	kind, err := FitKind(cfg)
	if err != nil {
		return cfg, err
	}
	if err := recipe.Check(); err != nil {
		return cfg, argErr(err)
	}
	if cfg.Draws == 0 {
		cfg.Draws = kind.Draws
	}
	return cfg, nil
}

// PrepareFitFlags checks a fit as `latent prior fit`'s flags give it: cfg
// (FitKind), that no flag given (given, by name) of kinds is another
// kind's, and the kind's recipe (PrepareFit). It returns the recipe, and
// cfg with the kind's draws when it gives none.
func PrepareFitFlags(kinds *prior.FitFlags, cfg prior.Config, given map[string]bool) (prior.Recipe, prior.Config, error) {
	kind, err := FitKind(cfg)
	if err != nil {
		return nil, cfg, err
	}
	if name, owner := kinds.Foreign(kind.Name, given); name != "" {
		return nil, cfg, argErrorf("--%s is a %s prior's flag; --kind %s does not take it", name, owner, kind.Name)
	}
	recipe := kinds.Recipes[kind.Name]
	cfg, err = PrepareFit(recipe, cfg)
	return recipe, cfg, err
}

// CheckFitted checks that kind (`latent prior score`'s --kind) names a
// prior kind and that the run in runDir has a prior of it fitted, before a
// backend is opened to score it (Session.ScorePrior).
func CheckFitted(runDir, kind string) error {
	if _, ok := prior.Lookup(kind); !ok {
		return argErrorf("--kind %q: want %s", kind, prior.Either(prior.KindNames()))
	}
	if !prior.Fitted(runDir, kind) {
		return fmt.Errorf("--kind %s: run %s has no %s prior; fit one with `latent prior fit --run %s --kind %s`",
			kind, runDir, kind, runDir, kind)
	}
	return nil
}
