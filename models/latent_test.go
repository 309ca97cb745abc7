package models

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// discreteStub is a latent kind of 3×3 int32 indices, for the helpers that
// ask a kind whether it is continuous; it is not registered.
type discreteStub struct{ gaussianLatent }

func (discreteStub) Name() string       { return "stub-grid" }
func (discreteStub) Code() shapes.Shape { return shapes.Make(dtypes.Int32, 3, 3) }
func (discreteStub) Describe() string   { return "a 3×3 grid of indices into 5 codes" }

// TestLatentKindOfAConfig: a config without a latent kind (as every config
// saved before kinds existed) is the Gaussian kind of Latent dimensions,
// and saves without the field; a kind that is not registered fails
// Validate, naming it.
func TestLatentKindOfAConfig(t *testing.T) {
	cfg := DefaultConfig()
	k := cfg.Kind()
	if k.Name() != GaussianLatent || !Continuous(k) || Dimensions(k) != cfg.Latent ||
		!k.Code().Equal(shapes.Make(dtypes.Float32, cfg.Latent)) || k.Describe() != "16 latent dimensions" {
		t.Errorf("default config: kind %q, code %s, %d dimensions, %q; want the Gaussian of [16] float32",
			k.Name(), k.Code(), Dimensions(k), k.Describe())
	}
	saved, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(saved), "latent_kind") {
		t.Errorf("a Gaussian config saves the kind it has by default: %s", saved)
	}
	var old Config // a config.json of a run from before latent kinds
	if err := json.Unmarshal([]byte(`{"height":28,"width":28,"channels":1,"latent":16,"widths":[32,64],"hidden":256,`+
		`"kernel":3,"upsample":"nearest","likelihood":"bernoulli","beta":1}`), &old); err != nil {
		t.Fatal(err)
	}
	if err := old.Validate(); err != nil || old.Kind().Name() != GaussianLatent {
		t.Errorf("an old config: %v, kind %q; want valid and Gaussian", err, old.Kind().Name())
	}
	for _, tc := range []struct {
		kind string
		want string // in the error; "" for valid
	}{
		{"", ""},
		{GaussianLatent, ""},
		{"vq", `latent kind "vq": want one of [`},
	} {
		c := DefaultConfig()
		c.LatentKind = tc.kind
		err := c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("latent kind %q: Validate gives %v, want %q", tc.kind, err, tc.want)
		}
	}
}

// TestGaussianPrior: the Gaussian kind's prior is NormalCodes: the same
// seed gives the same codes, another seed others, temperature scales them
// and 0 gives the origin.
func TestGaussianPrior(t *testing.T) {
	k := Config{Latent: 3}.Kind()
	a, b := k.Prior(50, 4, 1), k.Prior(50, 4, 1)
	if len(a) != 150 || !slices.Equal(a, b) || !slices.Equal(a, NormalCodes(50, 3, 4, 1)) {
		t.Fatalf("Prior(50, 4, 1): %d values, repeatable %v, NormalCodes' %v", len(a), slices.Equal(a, b), slices.Equal(a, NormalCodes(50, 3, 4, 1)))
	}
	if slices.Equal(a, k.Prior(50, 5, 1)) {
		t.Error("seeds 4 and 5 draw the same codes")
	}
	half := k.Prior(50, 4, 0.5)
	for i := range a {
		if d := float64(half[i] - a[i]/2); !(d*d <= 1e-12) {
			t.Fatalf("value %d at temperature 0.5: %g, want %g", i, half[i], a[i]/2)
		}
	}
	if slices.ContainsFunc(k.Prior(4, 4, 0), func(v float32) bool { return v != 0 }) {
		t.Error("temperature 0 draws codes off the origin")
	}
}

// TestNeedContinuous: a discrete kind has no dimensions and is refused in
// one line that names what needed them and the kind; a continuous one is
// not.
func TestNeedContinuous(t *testing.T) {
	var grid discreteStub
	if Continuous(grid) || Dimensions(grid) != 0 {
		t.Errorf("a grid of indices: continuous %v, %d dimensions; want neither", Continuous(grid), Dimensions(grid))
	}
	err := NeedContinuous(grid, "traverse")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "traverse needs a continuous latent") ||
		!strings.Contains(err.Error(), "a 3×3 grid of indices into 5 codes") {
		t.Errorf("NeedContinuous(grid): %v; want one line naming traverse and the grid", err)
	}
	if err := NeedContinuous(Config{Latent: 2}.Kind(), "traverse"); err != nil {
		t.Errorf("NeedContinuous(gaussian): %v", err)
	}
}

// TestRegisterLatentKindTwicePanics: a name registered twice, or an empty
// one, is a programming error.
func TestRegisterLatentKindTwicePanics(t *testing.T) {
	for _, name := range []string{GaussianLatent, ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterLatentKind(%q) did not panic", name)
				}
			}()
			RegisterLatentKind(name, func(Config) LatentKind { return discreteStub{} })
		}()
	}
}
