package vae

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
)

// gridSplit returns a split of 1×F-pixel images, one per combination of
// factor values of sizes (every combination when keep is nil, else those
// keep accepts), each pixel its factor's value scaled to [0, 1], so that
// an identity encoder's codes are the factors.
func gridSplit(sizes []int, keep func(row []int) bool) *data.Split {
	F := len(sizes)
	n := 1
	for _, s := range sizes {
		n *= s
	}
	names := []string{"shape", "scale", "x", "y", "w"}[:F]
	sp := &data.Split{Height: 1, Width: F, Channels: 1, Factors: &data.Factors{Names: names, Sizes: sizes}}
	for i := range n {
		row, r := make([]int, F), i
		for f := F - 1; f >= 0; f-- {
			row[f], r = r%sizes[f], r/sizes[f]
		}
		if keep != nil && !keep(row) {
			continue
		}
		for f, v := range row {
			sp.Pixels = append(sp.Pixels, uint8(math.Round(255*float64(v)/float64(sizes[f]-1))))
		}
		sp.Factors.Values = append(sp.Factors.Values, row...)
		sp.Labels = append(sp.Labels, row[0])
		sp.N++
	}
	return sp
}

// mixEncoder returns the images' pixels mixed by m (codes = pixels · m,
// m [F][D]) as an EncodeFunc.
func mixEncoder(m [][]float64) EncodeFunc {
	F, D := len(m), len(m[0])
	return func(images []float32, _ []int) ([]float32, error) {
		n := len(images) / F
		out := make([]float32, n*D)
		for i := range n {
			for j := range D {
				var v float64
				for f := range F {
					v += float64(images[i*F+f]) * m[f][j]
				}
				out[i*D+j] = float32(v)
			}
		}
		return out, nil
	}
}

// smallFactorOptions are counts small enough for a unit test.
func smallFactorOptions() FactorOptions {
	return FactorOptions{Train: 2000, Eval: 1000, Batch: 16, Seed: 3}
}

// TestScoreFactors scores codes of a full factor grid that equal the
// factors (every score ~1, each factor carried by its own dimension) and
// a 45° rotation of the first two factors into two dimensions (MIG and
// DCI's disentanglement low), and a set that is not a full grid (MIG and
// the others, FactorVAE and BetaVAE skipped).
func TestScoreFactors(t *testing.T) {
	sizes := []int{3, 6, 8}
	c := math.Sqrt(0.5)
	cases := []struct {
		name      string
		keep      func([]int) bool
		mix       [][]float64
		migLo     float64
		migHi     float64
		grid      bool
		carriedBy []int
	}{
		{"aligned", nil, [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 0.9, 1, true, []int{1, 2, 3}},
		{"rotated", nil, [][]float64{{c, c, 0}, {-c, c, 0}, {0, 0, 1}}, 0, 0.5, true, nil},
		{"partial", func(r []int) bool { return r[1] != 2 || r[2] != 3 }, [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 0.9, 1, false, []int{1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool, err := NewFactorPool([]*data.Split{gridSplit(sizes, tc.keep), nil}, mixEncoder(tc.mix), 3)
			if err != nil {
				t.Fatal(err)
			}
			if pool.Grid() != tc.grid {
				t.Fatalf("Grid() = %v, want %v", pool.Grid(), tc.grid)
			}
			r, err := ScoreFactors(pool, pool.Names(), smallFactorOptions())
			if err != nil {
				t.Fatal(err)
			}
			if !(r.MIG.Score >= tc.migLo && r.MIG.Score <= tc.migHi) {
				t.Errorf("MIG %.4f, want in [%g, %g]", r.MIG.Score, tc.migLo, tc.migHi)
			}
			if tc.grid != (r.FactorVAE != nil && r.BetaVAE != nil) || tc.grid == (r.Skipped != "") {
				t.Errorf("grid %v: FactorVAE %v, BetaVAE %v, skipped %q", tc.grid, r.FactorVAE, r.BetaVAE, r.Skipped)
			}
			if tc.name == "aligned" {
				for name, v := range map[string]float64{"FactorVAE": r.FactorVAE.Eval, "BetaVAE": r.BetaVAE.Eval, "DCI disentanglement": r.DCI.Disentanglement} {
					if !(v >= 0.9) {
						t.Errorf("%s %.4f, want ≥ 0.9", name, v)
					}
				}
			}
			if tc.name == "rotated" && !(r.DCI.Disentanglement <= 0.8) {
				t.Errorf("DCI disentanglement %.4f of a rotation, want ≤ 0.8", r.DCI.Disentanglement)
			}
			for f, want := range tc.carriedBy {
				if c := r.Carriers[f]; c.Dimension != want || c.Factor != pool.Names()[f] {
					t.Errorf("factor %d carried by %+v, want z%d", f, c, want)
				}
				if d := r.DimFactors[want-1]; d.Factor != pool.Names()[f] {
					t.Errorf("z%d's factor %q, want %q", want, d.Factor, pool.Names()[f])
				}
			}
			if len(r.MI) != 3 || len(r.MI[0]) != 3 || r.DCI.Regressor == "" {
				t.Errorf("MI %d×?, regressor %q", len(r.MI), r.DCI.Regressor)
			}
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"MIG", "DCI informativeness", "FactorVAE score", "carried by", "shape"} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text lacks %q:\n%s", want, text.String())
				}
			}
		})
	}
}

// TestFactorReportJSON: the fields the docs list are there, and a skipped
// score is null.
func TestFactorReportJSON(t *testing.T) {
	pool, err := NewFactorPool([]*data.Split{gridSplit([]int{2, 3}, func(r []int) bool { return r[0] != 1 || r[1] != 2 })},
		mixEncoder([][]float64{{1, 0}, {0, 1}}), 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ScoreFactors(pool, pool.Names(), smallFactorOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"codes", "dimensions", "factors", "full_grid", "options", "mig", "sap", "dci", "factor_vae", "beta_vae", "skipped", "mutual_information", "carriers", "dimension_factors"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if m["factor_vae"] != nil || m["beta_vae"] != nil {
		t.Errorf("skipped scores are %v and %v, want null", m["factor_vae"], m["beta_vae"])
	}
}

// TestFactorPoolRefusals: no factors, factors that differ between splits,
// and options out of range.
func TestFactorPoolRefusals(t *testing.T) {
	enc := mixEncoder([][]float64{{1}})
	if _, err := NewFactorPool([]*data.Split{{N: 1, Height: 1, Width: 1, Channels: 1, Pixels: []uint8{0}}}, enc, 1); err == nil {
		t.Error("a split without factors was pooled")
	}
	a, b := gridSplit([]int{2, 3}, nil), gridSplit([]int{2, 4}, nil)
	if _, err := NewFactorPool([]*data.Split{a, b}, enc, 2); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("splits with different factors: %v", err)
	}
	for _, o := range []FactorOptions{{Train: 1, Eval: 10, Batch: 8}, {Train: 10, Eval: 0, Batch: 8}, {Train: 10, Eval: 10, Batch: 1}, {Train: 10, Eval: 10, Batch: 5000}} {
		var ae *ArgError
		if err := o.Check(); !errors.As(err, &ae) {
			t.Errorf("%+v: %v, want an *ArgError", o, err)
		}
	}
	if err := DefaultFactorOptions().Check(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

// withFactors returns sp with factors "parity" (i mod 2) and "third" (i
// mod 3) attached: every one of the 6 combinations occurs.
func withFactors(sp *data.Split) *data.Split {
	out := *sp
	out.Factors = &data.Factors{Names: []string{"parity", "third"}, Sizes: []int{2, 3}}
	for i := range sp.N {
		out.Factors.Values = append(out.Factors.Values, i%2, i%3)
	}
	return &out
}

// TestSessionFactors scores a tiny run's posterior means against factors
// attached to its data: the report has a row of mutual information per
// latent dimension, finite scores in [0, 1] and every pooled image; a set
// without factors is refused naming --data.
func TestSessionFactors(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.DataSet("", "--data")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FactorsOf(set, smallFactorOptions()); err == nil || !strings.Contains(err.Error(), "--data") || !strings.Contains(err.Error(), "has no factors") {
		t.Errorf("a set without factors: %v", err)
	}
	with := *set
	with.Train, with.Test = withFactors(set.Train), withFactors(set.Test)
	o := FactorOptions{Train: 200, Eval: 100, Batch: 8, Seed: 1}
	r, err := s.FactorsOf(&with, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.MI) != s.Model.Latent || r.Dimensions != s.Model.Latent || r.Images != set.Train.N+set.Test.N || !r.FullGrid {
		t.Errorf("MI rows %d, dimensions %d (want %d), images %d (want %d), grid %v",
			len(r.MI), r.Dimensions, s.Model.Latent, r.Images, set.Train.N+set.Test.N, r.FullGrid)
	}
	for name, v := range map[string]float64{"MIG": r.MIG.Score, "SAP": r.SAP.Score, "DCI D": r.DCI.Disentanglement,
		"FactorVAE": r.FactorVAE.Eval, "BetaVAE": r.BetaVAE.Eval} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v, want in [0, 1]", name, v)
		}
	}
	again, err := s.FactorsOf(&with, o)
	if err != nil {
		t.Fatal(err)
	}
	if again.MIG.Score != r.MIG.Score || again.FactorVAE.Eval != r.FactorVAE.Eval {
		t.Errorf("the same seed gave MIG %v then %v", r.MIG.Score, again.MIG.Score)
	}
}
