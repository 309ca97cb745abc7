package train

import (
	"bytes"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// TestNewColourRun: a new run on colour images takes its image shape and
// the colour defaults (saying which) for the flags not given; a likelihood
// given is kept, with the warning when it does not fit colour; a resumed
// run keeps its config.
func TestNewColourRun(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fresh      bool
		given      map[string]bool
		likelihood string
		log        string
	}{
		{"new, no flags", true, map[string]bool{}, models.DiscreteLogistic, "defaults for colour --likelihood logistic"},
		{"new, --likelihood bernoulli", true, map[string]bool{"likelihood": true}, models.Bernoulli, "warning: the bernoulli likelihood does not fit RGB"},
		{"resumed", false, map[string]bool{}, models.Bernoulli, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := rundir.DefaultConfig()
			cfg.Data.Spec = data.Shapes
			if !tc.fresh { // a resumed run's config came from its folder
				cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = 32, 32, 3
			}
			var log bytes.Buffer
			if _, err := loadData(&cfg, tc.fresh, Options{Given: tc.given, Log: &log}); err != nil {
				t.Fatal(err)
			}
			if cfg.Model.Likelihood != tc.likelihood || cfg.Model.Channels != 3 || cfg.Model.Height != 32 {
				t.Errorf("model %dx%dx%d, likelihood %q; want 32x32x3, %q", cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels,
					cfg.Model.Likelihood, tc.likelihood)
			}
			if tc.log != "" && !strings.Contains(log.String(), tc.log) {
				t.Errorf("log %q does not say %q", log.String(), tc.log)
			}
			if tc.log == "" && strings.Contains(log.String(), "colour") {
				t.Errorf("a resumed run's log speaks of colour defaults: %q", log.String())
			}
		})
	}
}
