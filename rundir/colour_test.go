package rundir

import (
	"slices"
	"testing"

	"github.com/latent-vae/latent/models"
)

// TestColourDefaults: a new run on colour images takes the colour defaults
// for the settings its caller did not give, keeps those given, and a grey
// run or a caller naming no flags (nil) keeps DefaultConfig's.
func TestColourDefaults(t *testing.T) {
	for _, tc := range []struct {
		name       string
		channels   int
		given      map[string]bool
		likelihood string
		set        []string
	}{
		{"colour, nothing given", 3, map[string]bool{}, models.DiscreteLogistic, []string{"--likelihood logistic", "--batch-size 32"}},
		{"colour, other flags given", 3, map[string]bool{"lr": true, "out": true}, models.DiscreteLogistic, []string{"--likelihood logistic", "--batch-size 32"}},
		{"colour, likelihood given", 3, map[string]bool{"likelihood": true}, models.Bernoulli, []string{"--batch-size 32"}},
		{"colour, likelihood and batch size given", 3, map[string]bool{"likelihood": true, "batch-size": true}, models.Bernoulli, nil},
		{"colour, a library caller (nil)", 3, nil, models.Bernoulli, nil},
		{"grey", 1, map[string]bool{}, models.Bernoulli, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Model.Channels = tc.channels
			set := ColourDefaults(&cfg, tc.given)
			if cfg.Model.Likelihood != tc.likelihood || !slices.Equal(set, tc.set) {
				t.Errorf("likelihood %q, set %q; want %q, %q", cfg.Model.Likelihood, set, tc.likelihood, tc.set)
			}
			if err := cfg.Model.Validate(); err != nil {
				t.Errorf("the config with the defaults is invalid: %v", err)
			}
		})
	}
}

// TestColourDefault: the help of latent train names the colour default of
// a flag that has one, and nothing for one that has none.
func TestColourDefault(t *testing.T) {
	for flag, want := range map[string]string{"likelihood": "logistic", "batch-size": "32", "lr": ""} {
		if got := ColourDefault(flag); got != want {
			t.Errorf("ColourDefault(%q) = %q, want %q", flag, got, want)
		}
	}
}
