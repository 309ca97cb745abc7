package disentangle

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestValidate: each malformed input is refused with a message naming it.
func TestValidate(t *testing.T) {
	good := func() Set {
		return Set{Codes: mat.NewDense(2, 2, []float64{0, 1, 2, 3}), Factors: Factors{Sizes: []int{2, 3}, Values: []int{0, 2, 1, 0}}}
	}
	cases := []struct {
		name   string
		mutate func(s *Set)
		want   string
	}{
		{"no factors", func(s *Set) { s.Factors.Sizes = nil }, "no factors"},
		{"ragged", func(s *Set) { s.Factors.Values = s.Factors.Values[:3] }, "not a multiple"},
		{"size 0", func(s *Set) { s.Factors.Sizes[0] = 0 }, "has 0 values"},
		{"out of range", func(s *Set) { s.Factors.Values[1] = 3 }, "outside [0, 3)"},
		{"rows", func(s *Set) { s.Codes = mat.NewDense(1, 2, nil) }, "1 code rows for 2"},
		{"NaN", func(s *Set) { s.Codes.Set(1, 0, math.NaN()) }, "is NaN"},
		{"Inf", func(s *Set) { s.Codes.Set(0, 1, math.Inf(1)) }, "is +Inf"},
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good set: %v", err)
	}
	for _, c := range cases {
		s := good()
		c.mutate(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want %q", c.name, err, c.want)
		}
		if _, err := MIG(s); err == nil {
			t.Errorf("%s: MIG accepted the set", c.name)
		}
	}
}

// TestSplit: the first ceil(N·fraction) rows train, as split_train_test.
func TestSplit(t *testing.T) {
	fs := grid(2, 5)
	s := Set{Codes: mat.NewDense(10, 1, nil), Factors: fs}
	train, test, err := s.Split(0.75)
	if err != nil {
		t.Fatal(err)
	}
	if train.Factors.Len() != 8 || test.Factors.Len() != 2 || test.Factors.At(0, 1) != fs.At(8, 1) {
		t.Errorf("split 10 at 0.75 into %d and %d", train.Factors.Len(), test.Factors.Len())
	}
	for _, f := range []float64{0, 1, math.NaN()} {
		if _, _, err := s.Split(f); err == nil {
			t.Errorf("Split(%v) accepted", f)
		}
	}
}

// TestCarriers: with codes that are the factors in dimensions 2, 0, 3
// (dimension 1 noise), each factor's carrier is its dimension with share
// ~1, and each dimension names its factor (the noise one a weak share).
func TestCarriers(t *testing.T) {
	mix := mat.NewDense(3, 4, []float64{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1})
	s := synth{sizes: []int{3, 6, 10}, mix: mix, noise: 0.001}
	set, err := Draw(rand.New(rand.NewPCG(1, 1)), s, 5000)
	if err != nil {
		t.Fatal(err)
	}
	r, err := MIG(set)
	if err != nil {
		t.Fatal(err)
	}
	for f, c := range Carriers(r.MI, r.Entropy) {
		if want := []int{2, 0, 3}[f]; c.Factor != f || c.Dim != want || !(c.Share >= 0.99) || !(c.Gap >= 0.95) {
			t.Errorf("factor %d: carrier %+v, want dimension %d with share ~1", f, c, want)
		}
	}
	factor, share := DimensionFactors(r.MI, r.Entropy)
	if !slices.Equal([]int{factor[0], factor[2], factor[3]}, []int{1, 0, 2}) {
		t.Errorf("dimension factors %v, want [1 _ 0 2]", factor)
	}
	if !(share[1] <= 0.05) || !(share[0] >= 0.99) {
		t.Errorf("shares %v: want the noise dimension's ≤ 0.05, the others ~1", share)
	}
}

// badSampler returns codes with the wrong row count, or a NaN.
type badSampler struct {
	synth
	nan bool
}

func (b badSampler) Encode(rng *rand.Rand, fs Factors) (*mat.Dense, error) {
	codes, err := b.synth.Encode(rng, fs)
	if err != nil || !b.nan {
		n, d := codes.Dims()
		return mat.NewDense(n+1, d, nil), err
	}
	codes.Set(fs.Len()-1, 0, math.NaN())
	return codes, nil
}

// TestSamplerErrors: codes of the wrong shape or with a NaN are errors in
// Draw, FactorVAE and BetaVAE, not scores.
func TestSamplerErrors(t *testing.T) {
	for _, nan := range []bool{false, true} {
		s := badSampler{synth{[]int{2, 3}, identity(2), 0.01}, nan}
		rng := rand.New(rand.NewPCG(1, 1))
		want := map[bool][]string{false: {" for ", " for ", " for "}, true: {"is NaN", "is NaN", "feature NaN"}}[nan]
		_, err1 := Draw(rng, s, 100)
		_, err2 := FactorVAE(rng, s, FactorVAEOptions{Batch: 8, Train: 4, Eval: 4, VarianceSamples: 50, Threshold: 0.05})
		_, err3 := BetaVAE(rng, s, BetaVAEOptions{Batch: 8, Train: 4, Eval: 4})
		for i, err := range []error{err1, err2, err3} {
			if err == nil || !strings.Contains(err.Error(), want[i]) {
				t.Errorf("nan=%v: %s: error %v, want one saying %q", nan, []string{"Draw", "FactorVAE", "BetaVAE"}[i], err, want[i])
			}
		}
	}
}
