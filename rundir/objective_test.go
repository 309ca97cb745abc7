package rundir

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/latent-vae/latent/models"
)

// TestObjectiveCheck checks each refusal of Objective.Check, with the
// settings DefaultObjective completes, and that the sensible combinations
// pass: each error names the flag at fault.
func TestObjectiveCheck(t *testing.T) {
	conv := models.WithFamilyDefaults(models.DefaultConfig())
	ladder := conv
	ladder.Model = models.Ladder
	ladder = models.WithFamilyDefaults(ladder)
	vq := conv
	vq.Model, vq.Hidden = models.VQModel, 0
	vq = models.WithFamilyDefaults(vq)
	beta4 := conv
	beta4.Beta = 4
	tc := func(o Objective) Objective { o.Kind = BetaTCVAE; return DefaultObjective(o, 1e-3, false) }
	fv := func(o Objective) Objective { o.Kind = FactorVAE; return DefaultObjective(o, 1e-3, false) }
	capacity := DefaultObjective(Objective{Capacity: 25, CapacitySteps: 1000}, 1e-3, false)
	for _, c := range []struct {
		name  string
		o     Objective
		m     models.Config
		batch int
		want  string // "" for none
	}{
		{"elbo", Objective{}, conv, 128, ""},
		{"beta-tcvae", tc(Objective{}), conv, 128, ""},
		{"beta-tcvae mws", tc(Objective{TCEstimator: MWS, TrainSize: 60000}), conv, 128, ""},
		{"factor-vae", fv(Objective{}), conv, 128, ""},
		{"capacity", capacity, conv, 128, ""},
		{"unknown", Objective{Kind: "tcvae"}, conv, 128, `--objective "tcvae"`},
		{"estimator", tc(Objective{TCEstimator: "mss2"}), conv, 128, "--tc-estimator"},
		{"vq", tc(Objective{}), vq, 128, "needs a continuous code"},
		{"ladder", fv(Objective{}), ladder, 128, "one flat vector"},
		{"iw", tc(Objective{IWTrain: 5}), conv, 128, "--iw-train"},
		{"free bits", fv(Objective{FreeBits: 0.5}), conv, 128, "--free-bits"},
		{"batch of one", fv(Objective{}), conv, 1, "--batch-size 1"},
		{"fewer images than a batch", tc(Objective{TrainSize: 100}), conv, 128, "fewer than --batch-size 128"},
		{"alpha on elbo", Objective{Alpha: 1}, conv, 128, "--alpha: the elbo objective"},
		{"gamma on elbo", Objective{Gamma: 3}, conv, 128, "--gamma: the elbo objective"},
		{"estimator on factor-vae", fv(Objective{TCEstimator: MSS}), conv, 128, "--tc-estimator: --objective factor-vae"},
		{"discriminator on beta-tcvae", tc(Objective{DiscriminatorWidth: 10}), conv, 128, "--discriminator-width"},
		{"capacity on beta-tcvae", tc(Objective{Capacity: 25, CapacitySteps: 10}), conv, 128, "--capacity: --objective beta-tcvae"},
		{"capacity steps alone", Objective{CapacitySteps: 10}, conv, 128, "--capacity-steps: it schedules --capacity"},
		{"capacity without steps", DefaultObjective(Objective{Capacity: 25}, 1e-3, false), conv, 128, "--capacity-steps 0"},
		{"capacity with beta", capacity, beta4, 128, "leave --beta at 1"},
		{"capacity on vq", capacity, vq, 128, "no KL to anneal"},
		{"negative gamma", Objective{Kind: FactorVAE, Gamma: -1}, conv, 128, "--gamma -1"},
		{"no discriminator layers", Objective{Kind: FactorVAE, Gamma: 1, DiscriminatorWidth: 8, DiscriminatorLR: 1e-4}, conv, 128, "--discriminator-layers 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.Check(c.m, c.batch)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Check = %v, want an error with %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Errorf("Check's error is not one line: %q", err)
			}
		})
	}
}

// TestDefaultObjective checks the defaults each objective takes, that an
// α chosen as 0 stays 0, and that the plain ELBO takes none (its config
// saves no objective field).
func TestDefaultObjective(t *testing.T) {
	if got := DefaultObjective(Objective{Kind: BetaTCVAE}, 1e-3, false); got.Alpha != 1 || got.Gamma != 1 || got.TCEstimator != MSS {
		t.Errorf("β-TCVAE defaults %+v, want α 1, γ 1, mss", got)
	}
	if got := DefaultObjective(Objective{Kind: BetaTCVAE}, 1e-3, true); got.Alpha != 0 {
		t.Errorf("β-TCVAE with α given as 0: α %v", got.Alpha)
	}
	got := DefaultObjective(Objective{Kind: FactorVAE}, 1e-3, false)
	if got.Gamma != DefaultFactorGamma || got.DiscriminatorLayers != DefaultDiscriminatorLayers ||
		got.DiscriminatorWidth != DefaultDiscriminatorWidth || got.DiscriminatorLR != 1e-3 {
		t.Errorf("FactorVAE defaults %+v", got)
	}
	if got := DefaultObjective(Objective{Capacity: 25}, 1e-3, false); got.Gamma != DefaultCapacityGamma {
		t.Errorf("capacity annealing's γ %v, want %v", got.Gamma, DefaultCapacityGamma)
	}
	if got := DefaultObjective(Objective{}, 1e-3, false); !reflect.DeepEqual(got, Objective{}) {
		t.Errorf("the ELBO took defaults: %+v", got)
	}
	raw, err := json.Marshal(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"objective"`) {
		t.Errorf("a config of the plain ELBO saves an objective: %s", raw)
	}
}

// TestObjectiveColumns checks the columns metrics.csv adds per objective.
func TestObjectiveColumns(t *testing.T) {
	for _, c := range []struct {
		o    Objective
		want []string
	}{
		{Objective{}, nil},
		{Objective{Kind: BetaTCVAE}, []string{"train_mi", "train_tc", "train_dwkl"}},
		{Objective{Kind: FactorVAE}, []string{"train_tc", "train_disc_loss", "train_disc_acc"}},
		{Objective{Capacity: 25}, []string{"capacity"}},
	} {
		if got := ObjectiveColumns(c.o); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ObjectiveColumns(%+v) = %v, want %v", c.o, got, c.want)
		}
	}
}
