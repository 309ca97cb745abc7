package train

import (
	"strings"
	"testing"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// TestPrepare checks how Prepare completes a run's config from latent
// train's flags, and what it refuses, naming the flags: configuration
// flags with --resume, bad widths or levels, the quantiser's flags on
// another model, --hidden on a vq model, no --out.
func TestPrepare(t *testing.T) {
	given := func(names ...string) map[string]bool {
		set := map[string]bool{}
		for _, n := range names {
			set[n] = true
		}
		return set
	}
	tests := []struct {
		name           string
		o              Options
		widths, levels string
		model          string // --model
		want           string // the error's text; "" for accepted
	}{
		{"new run", Options{Out: "r"}, "32,64", "", "", ""},
		{"resume, new end", Options{Out: "r", Resume: true, Given: given("out", "resume", "steps", "quiet", "backend", "devices")}, "32,64", "", "", ""},
		{"resume, lr", Options{Out: "r", Resume: true, Given: given("lr", "quiet")}, "32,64", "", "", "--lr cannot be changed with --resume"},
		{"resume, two", Options{Out: "r", Resume: true, Given: given("pixel-width", "ema")}, "32,64", "", "", "--ema, --pixel-width cannot be changed"},
		{"widths", Options{Out: "r"}, "8,x", "", "", `--widths: "8,x" is not a list of positive integers`},
		{"no out", Options{}, "32,64", "", "", "--out: a run folder is required"},
		{"codebook on conv", Options{Out: "r", Given: given("codebook")}, "32,64", "", "", "--codebook: only --model vq quantizes its code"},
		{"hidden on vq", Options{Out: "r", Given: given("hidden", "model")}, "32,64", "", models.VQModel, "--hidden: the vq model has no dense layer"},
		{"levels", Options{Out: "r", Given: given("levels", "model")}, "32,64", "8,x", models.VQModel, "--levels:"},
	}
	for _, tc := range tests {
		cfg := rundir.DefaultConfig()
		if tc.model != "" {
			cfg.Model.Model = tc.model
		}
		err := tc.o.Prepare(&cfg, tc.widths, tc.levels)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want it accepted", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	cfg := rundir.DefaultConfig()
	cfg.Objective.LRSchedule, cfg.Model.Norm = "constant", "none"
	if err := (Options{Out: "r"}).Prepare(&cfg, "16, 8", ""); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Model.Widths) != 2 || cfg.Model.Widths[0] != 16 || cfg.Model.Widths[1] != 8 || cfg.Epochs != 10 ||
		cfg.Objective.LRSchedule != rundir.ConstantLR || cfg.Model.Norm != models.NormNone {
		t.Errorf("a new run given no length: widths %v, epochs %d, schedule %q, norm %q; want [16 8], 10 and the defaults' spellings",
			cfg.Model.Widths, cfg.Epochs, cfg.Objective.LRSchedule, cfg.Model.Norm)
	}
	cfg = rundir.DefaultConfig()
	cfg.Model.Model, cfg.Model.Quantizer = models.VQModel, models.QuantizerFSQ
	if err := (Options{Out: "r", Given: map[string]bool{"levels": true}}).Prepare(&cfg, "32,64", "8,5,5"); err != nil || cfg.Model.Latent != 3 {
		t.Errorf("FSQ with --levels 8,5,5: latent %d (%v), want 3, one per level", cfg.Model.Latent, err)
	}
}
