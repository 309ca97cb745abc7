package vae

import (
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
)

// gridSession is a session of a model whose latent is testrun.GridKind,
// with no run or backend: a refusal must come before either is used.
func gridSession(t *testing.T) *Session {
	t.Helper()
	cfg := testrun.TinyConfig()
	cfg.LatentKind = testrun.GridKind
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &Session{Model: cfg, Log: io.Discard}
}

// TestGridLatentRefusals: what needs a continuous latent (dimensions to
// sweep, lines to interpolate along, a KL per dimension, a prior of real
// vectors) refuses a grid of indices in one line that names what and the
// grid, before it touches the run or a backend; a fit's refusal is the
// caller's usage error (*ArgError).
func TestGridLatentRefusals(t *testing.T) {
	s := gridSession(t)
	grid := "a 4×4 grid of indices into 8 codes"
	cases := []struct {
		what string
		call func() error
		want string
	}{
		{"traverse", func() error { _, err := s.Dimensions("traverse"); return err }, "traverse needs a continuous latent"},
		{"map --manifold", func() error { _, err := s.Dimensions("--manifold"); return err }, "--manifold needs a continuous latent"},
		{"interpolate", func() error {
			_, err := s.Interpolate(generate.MethodLerp, [][]float32{make([]float32, 16), make([]float32, 16)}, nil, 3)
			return err
		}, "interpolation needs a continuous latent"},
		{"traverse --order kl", func() error { _, err := s.UnitKL(nil); return err }, "a KL per latent dimension needs a continuous latent"},
		{"factors", func() error { _, err := s.Factors(DefaultFactorOptions()); return err }, "scoring disentanglement needs a continuous latent"},
	}
	for _, k := range prior.Registered() {
		if k.Discrete {
			continue // fits a grid: TestDiscretePriorRefusesAGaussianRun
		}
		cases = append(cases, struct {
			what string
			call func() error
			want string
		}{"prior fit --kind " + k.Name, func() error {
			_, err := s.FitPrior(nil, nil, prior.Config{Kind: k.Name}, nil)
			var arg *ArgError
			if err != nil && !errors.As(err, &arg) {
				t.Errorf("prior fit --kind %s: %v is not an *ArgError", k.Name, err)
			}
			return err
		}, "--kind " + k.Name + ": a " + k.Name + " prior fits continuous codes"})
	}
	for _, tc := range cases {
		err := tc.call()
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), grid) {
			t.Errorf("%s on a grid latent: %v; want one line with %q and %q", tc.what, err, tc.want, grid)
		}
	}
}

// TestNormalSamplerIsTheKindsPrior: --prior normal draws the latent kind's
// default prior: for the grid, indices into its codebook, as many per code
// as the grid has cells; for the Gaussian, Dimensions is every value.
func TestNormalSamplerIsTheKindsPrior(t *testing.T) {
	s := gridSession(t)
	codes, err := NormalSampler(s.Model.Kind()).Sample(5, 2, 1, nil)
	if err != nil || len(codes) != 5*testrun.GridSide*testrun.GridSide {
		t.Fatalf("5 grid codes: %d values, %v; want %d", len(codes), err, 5*testrun.GridSide*testrun.GridSide)
	}
	for i, v := range codes {
		if v != float32(int(v)) || v < 0 || v >= testrun.GridCodes {
			t.Fatalf("value %d is %g: not an index into %d codes", i, v, testrun.GridCodes)
		}
	}
	g := &Session{Model: testrun.TinyConfig(), Log: io.Discard}
	if d, err := g.Dimensions("traverse"); err != nil || d != g.Model.Latent {
		t.Errorf("the Gaussian latent's dimensions: %d, %v; want %d", d, err, g.Model.Latent)
	}
}

// TestDiscretePriorRefusesAGaussianRun: a prior kind of discrete codes
// (the transformer) refuses a Gaussian run's fit in one line, a usage
// error (*ArgError) that names the kind and the latent, before it touches
// the run or a backend.
func TestDiscretePriorRefusesAGaussianRun(t *testing.T) {
	s := &Session{Model: testrun.TinyConfig(), Log: io.Discard}
	found := false
	for _, k := range prior.Registered() {
		if !k.Discrete {
			continue
		}
		found = true
		_, err := s.FitPrior(nil, nil, prior.Config{Kind: k.Name}, nil)
		var arg *ArgError
		want := "--kind " + k.Name + ": a " + k.Name + " prior fits discrete codes (indices into a codebook), and the run's latent is 4 latent dimensions"
		if !errors.As(err, &arg) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), want) {
			t.Errorf("prior fit --kind %s on a Gaussian run: %v; want one *ArgError line with %q", k.Name, err, want)
		}
	}
	if !found {
		t.Error("no discrete prior kind is registered")
	}
}

// TestBaselineName: the latent kind's default prior goes by its name: a
// grid run's is uniform, opened by --prior uniform or normal and scored as
// uniform; a Gaussian run's is normal, and --prior uniform is refused for
// it in one usage error naming the latent.
func TestBaselineName(t *testing.T) {
	grid := gridSession(t)
	gauss := &Session{Model: testrun.TinyConfig(), Log: io.Discard}
	for _, s := range []*Session{grid, gauss} {
		s.Run = &rundir.Run{Dir: t.TempDir()}
	}
	cases := []struct {
		s          *Session
		name, want string
	}{
		{grid, prior.Uniform, prior.Uniform},
		{grid, prior.Normal, prior.Uniform},
		{gauss, prior.Normal, prior.Normal},
	}
	for _, tc := range cases {
		c, used, err := tc.s.OpenSampler(tc.name, 1, 4)
		if err != nil || used != tc.want {
			t.Errorf("%s run, --prior %s: %q, %v; want %q", tc.s.Model.Kind().Name(), tc.name, used, err, tc.want)
			continue
		}
		c.Close()
		if rows, skipped, err := tc.s.ScoredPriors(AllPriors); err != nil || !slices.Equal(rows, []string{tc.want}) || skipped != nil {
			t.Errorf("%s run: score's rows %v, skipped %v, %v; want [%s], none skipped", tc.s.Model.Kind().Name(), rows, skipped, err, tc.want)
		}
	}
	for _, call := range []func() error{
		func() error { _, _, err := gauss.OpenSampler(prior.Uniform, 1, 4); return err },
		func() error { _, _, err := gauss.ScoredPriors(prior.Uniform); return err },
	} {
		err := call()
		var arg *ArgError
		if !errors.As(err, &arg) || !strings.Contains(err.Error(), "--prior uniform: the uniform prior is over a codebook's indices, and the run's latent is 4 latent dimensions") {
			t.Errorf("--prior uniform on a Gaussian run: %v; want an *ArgError naming the latent", err)
		}
	}
}

// TestPriorLogProbUniform: under a grid run's uniform prior (--prior
// uniform or normal) every grid has log-probability −cells·log K; a
// Gaussian run has no such log-probability, and says so in one line.
func TestPriorLogProbUniform(t *testing.T) {
	s := gridSession(t)
	s.Run = &rundir.Run{Dir: t.TempDir()}
	cells := testrun.GridSide * testrun.GridSide
	want := -float64(cells) * math.Log(testrun.GridCodes)
	for _, name := range []string{prior.Uniform, prior.Normal} {
		logp, used, err := s.PriorLogProb(name, make([]float32, 3*cells), nil)
		if err != nil || used != prior.Uniform || len(logp) != 3 {
			t.Fatalf("--prior %s: %v, %q, %v; want 3 values of the uniform prior", name, logp, used, err)
		}
		for _, v := range logp {
			if !(math.Abs(v-want) <= 1e-9) {
				t.Errorf("--prior %s: log p %v, want %v", name, v, want)
			}
		}
	}
	if _, _, err := s.PriorLogProb(prior.Uniform, make([]float32, cells+1), nil); err == nil || !strings.Contains(err.Error(), "not whole grids of 16 cells") {
		t.Errorf("a partial grid: %v; want it refused", err)
	}
	g := &Session{Model: testrun.TinyConfig(), Log: io.Discard}
	if _, _, err := g.PriorLogProb(prior.Normal, make([]float32, 4), nil); err == nil || !strings.Contains(err.Error(), "needs a discrete latent, and the run's latent is 4 latent dimensions") {
		t.Errorf("a Gaussian run: %v; want a refusal naming its latent", err)
	}
}
