package export

import (
	"fmt"
	"slices"
	"strings"

	"github.com/latent-vae/latent/prior"
)

// Values of --priors beside a list of kinds.
const (
	PriorsAll  = "all"  // every prior fitted to the run
	PriorsNone = "none" // the weights alone
)

// ParsePriors reads a --priors value: nil for PriorsAll, an empty list for
// PriorsNone, else the kinds it lists, each once; an unknown kind is an
// error naming --priors.
func ParsePriors(v string) ([]string, error) {
	switch v {
	case PriorsAll:
		return nil, nil
	case PriorsNone:
		return []string{}, nil
	}
	var kinds []string
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if _, ok := prior.Lookup(k); !ok {
			return nil, fmt.Errorf("--priors %s: unknown prior %q: want all, none or a comma-separated list of %s",
				v, k, prior.Either(prior.KindNames()))
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// FittedPriors returns the kinds to export from runDir, as ParsePriors
// read them from the --priors value: for all (kinds nil) every fitted one
// that latent can export (prior.Exportable; Unexported lists the others),
// the best last; else kinds, each of which must be fitted (an error naming
// the command that fits it).
func FittedPriors(runDir, value string, kinds []string) ([]string, error) {
	if kinds == nil {
		return slices.DeleteFunc(prior.Available(runDir), func(k string) bool { return k == prior.Normal || !prior.Exportable(k) }), nil
	}
	for _, k := range kinds {
		if _, err := prior.Resolve(runDir, k); err != nil {
			return nil, fmt.Errorf("--priors %s: %w", value, err)
		}
	}
	return kinds, nil
}

// Unexported returns the priors fitted to runDir that --priors all leaves
// out, since latent cannot export them (a transformer prior).
func Unexported(runDir string) []string {
	return slices.DeleteFunc(prior.Available(runDir), func(k string) bool { return k == prior.Normal || prior.Exportable(k) })
}
