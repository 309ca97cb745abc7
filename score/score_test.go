package score

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
)

// gaussian returns n vectors of d values: a shifted, stretched Gaussian,
// and squared through a ReLU-like floor when relu (as a network's features).
func gaussian(n, d int, seed uint64, shift, stretch float64, relu bool) Features {
	rng := rand.New(rand.NewPCG(seed, 1))
	f := Features{N: n, D: d, X: make([]float64, n*d)}
	for i := range f.X {
		v := shift + stretch*rng.NormFloat64()*(1+float64(i%d)/float64(d))
		if relu {
			v = max(v, 0)
		}
		f.X[i] = v
	}
	return f
}

// The documented defaults (docs/scores.md), written here as numbers so that
// a changed default in the Go code fails TestAgainstNumpy: KID averages over
// 100 pairs of subsets of min(1000, N) images; precision and recall's balls
// reach the 3rd nearest neighbour.
const (
	docKIDSubsets    = 100
	docKIDSubsetSize = 1000
	docK             = 3
)

// numpyOpts are the constants the numpy reference computes with, given by
// each test case literally (never read from the Go side's Options).
type numpyOpts struct{ subsets, size, k int }

// TestAgainstNumpy checks FID, KID and precision/recall against numpy's
// reference (testdata/reference.py) to 1e-6 relative, on sets that span
// several blocks of the distance matrices; one case leaves Options at zero
// and holds the Go defaults to the documented ones.
func TestAgainstNumpy(t *testing.T) {
	python := testenv.PythonNumpy(t)
	for _, tc := range []struct {
		name      string
		gen, real Features
		opt       Options
		numpy     numpyOpts
	}{
		{"shifted Gaussians", gaussian(1100, 12, 1, 0.3, 1.2, false), gaussian(900, 12, 2, 0, 1, false),
			Options{KIDSubsets: 7, KIDSubsetSize: 200, Seed: 3}, numpyOpts{7, 200, 3}},
		{"rectified, k=5, subsets larger than a set", gaussian(150, 9, 4, 0.1, 1, true), gaussian(400, 9, 5, 0, 1, true),
			Options{KIDSubsets: 4, KIDSubsetSize: 1000, Seed: 9, K: 5}, numpyOpts{4, 1000, 5}},
		{"the documented defaults", gaussian(300, 6, 6, 0.2, 1.1, false), gaussian(350, 6, 7, 0, 1, false),
			Options{Seed: 2}, numpyOpts{docKIDSubsets, docKIDSubsetSize, docK}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, err := NewReference(tc.real, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ref.Compare(tc.gen)
			if err != nil {
				t.Fatal(err)
			}
			want := numpyScores(t, python, tc.gen, tc.real, ref, tc.numpy)
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"FID", got.FID, want.FID}, {"KID", got.KID, want.KID}, {"KID std", got.KIDStd, want.KIDStd},
				{"precision", got.Precision, want.Precision}, {"recall", got.Recall, want.Recall}} {
				if !(math.Abs(c.got-c.want) <= 1e-6*math.Abs(c.want)) {
					t.Errorf("%s = %.12g, numpy %.12g", c.name, c.got, c.want)
				}
			}
			if !(got.Precision > 0 && got.Precision < 1 && got.Recall > 0 && got.Recall < 1) {
				t.Errorf("precision %v, recall %v: want sets that overlap in part, so the test can fail", got.Precision, got.Recall)
			}
		})
	}
}

// TestDocumentedDefaults: the default subsets hold the documented 1000
// vectors when both sets are larger (TestAgainstNumpy's sets are smaller,
// to keep numpy's 100 kernel matrices quick), and docs/scores.md states the
// defaults TestAgainstNumpy holds the code to, so the docs, the test and the
// code say one thing.
func TestDocumentedDefaults(t *testing.T) {
	ref, err := NewReference(gaussian(docKIDSubsetSize+100, 3, 1, 0, 1, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for side, sets := range map[string][][]int{"real": ref.kid.idx, "generated": ref.kid.genSubsets(docKIDSubsetSize + 50)} {
		if len(sets) != docKIDSubsets {
			t.Errorf("%d %s KID subsets by default, want %d", len(sets), side, docKIDSubsets)
		}
		for _, idx := range sets {
			if len(idx) != docKIDSubsetSize {
				t.Errorf("a %s KID subset of %d vectors by default, want %d", side, len(idx), docKIDSubsetSize)
				break
			}
		}
	}
	raw, err := os.ReadFile("../docs/scores.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(raw)), " ")
	for _, want := range []string{
		fmt.Sprintf("averaged over %d pairs of random subsets of min(%d, N) images", docKIDSubsets, docKIDSubsetSize),
		fmt.Sprintf("reaching its %drd nearest test neighbour", docK),
		fmt.Sprintf("reaching its %drd nearest row neighbour", docK),
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("docs/scores.md does not say %q", want)
		}
	}
}

// numpyScores runs testdata/reference.py on gen and ref's real set, with
// the subsets ref draws for gen, and the constants c: the reference checks
// the subsets' count and size against c and computes with c's k.
func numpyScores(t *testing.T, python string, gen, real Features, ref *Reference, c numpyOpts) Scores {
	t.Helper()
	dir := t.TempDir()
	writeF64(t, filepath.Join(dir, "gen.f64"), gen.X)
	writeF64(t, filepath.Join(dir, "real.f64"), real.X)
	gs := ref.kid.genSubsets(gen.N)
	rs := make([][]int, len(ref.kid.idx))
	for s, idx := range ref.kid.idx {
		rs[s] = idx[:min(len(gs[s]), len(idx))]
	}
	writeJSON(t, filepath.Join(dir, "shape.json"), map[string]int{"gen": gen.N, "real": real.N, "d": gen.D,
		"k": c.k, "subsets": c.subsets, "subset_size": c.size})
	writeJSON(t, filepath.Join(dir, "subsets.json"), map[string][][]int{"gen": gs, "real": rs})
	var raw map[string]float64
	testenv.PythonJSON(t, &raw, python, nil, "testdata/reference.py", dir)
	for _, k := range []string{"fid", "kid", "kid_std", "precision", "recall"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("reference.py printed %v: no %q", raw, k)
		}
	}
	return Scores{FID: raw["fid"], KID: raw["kid"], KIDStd: raw["kid_std"], Precision: raw["precision"], Recall: raw["recall"]}
}

func writeF64(t *testing.T, path string, x []float64) {
	t.Helper()
	b := make([]byte, 8*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSelf: a set against itself has FID 0 (to rounding), and every
// vector is inside the other set's balls.
func TestSelf(t *testing.T) {
	f := gaussian(500, 16, 7, 0.5, 2, true)
	ref, err := NewReference(f, Options{KIDSubsets: 3, KIDSubsetSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ref.Compare(f)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(s.FID) <= 1e-9) {
		t.Errorf("FID of a set against itself = %g, want 0", s.FID)
	}
	if s.Precision != 1 || s.Recall != 1 {
		t.Errorf("precision %v, recall %v of a set against itself, want 1 and 1", s.Precision, s.Recall)
	}
	other := gaussian(500, 16, 8, 0.5, 2, true)
	if o, err := ref.Compare(other); err != nil || !(o.FID > 1e-3) {
		t.Errorf("FID of another draw = %v (%v), want above 0", o.FID, err)
	}
}

// TestDeterministic: the same inputs give identical scores, call after call.
func TestDeterministic(t *testing.T) {
	real, gen := gaussian(300, 8, 1, 0, 1, false), gaussian(250, 8, 2, 0.2, 1, false)
	var first Scores
	for i := range 2 {
		ref, err := NewReference(real, Options{KIDSubsets: 5, KIDSubsetSize: 100, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		s, err := ref.Compare(gen)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = s
		} else if s != first {
			t.Errorf("second run %+v, first %+v", s, first)
		}
	}
}

// TestBadFeatures: too few vectors or a value that is not finite is an
// error, never a score.
func TestBadFeatures(t *testing.T) {
	good := gaussian(50, 4, 1, 0, 1, false)
	nan := gaussian(50, 4, 2, 0, 1, false)
	nan.X[77] = math.NaN()
	inf := gaussian(50, 4, 2, 0, 1, false)
	inf.X[3] = math.Inf(-1)
	one := Features{N: 1, D: 4, X: []float64{1, 2, 3, 4}}
	ref, err := NewReference(good, Options{KIDSubsets: 2, KIDSubsetSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		gen  Features
		want string
	}{
		{"NaN", nan, "vector 19 holds NaN"},
		{"infinity", inf, "vector 0 holds -Inf"},
		{"one vector", one, "too few"},
		{"other dimension", gaussian(50, 5, 1, 0, 1, false), "5 dimensions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := ref.Compare(tc.gen); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Compare = %+v, %v; want an error containing %q", s, err, tc.want)
			}
			if _, err := NewReference(tc.gen, Options{}); err == nil && tc.gen.D == 4 {
				t.Errorf("NewReference accepted it")
			}
		})
	}
	if _, err := NewFeatures([]float32{1, float32(math.NaN()), 3, 4}, 2, 2); err == nil {
		t.Error("NewFeatures accepted a NaN")
	}
	if _, err := NewFeatures([]float32{1, 2}, 1, 2); !errors.Is(err, ErrTooFew) {
		t.Errorf("NewFeatures of one vector: %v, want ErrTooFew", err)
	}
}

// TestClassCoverage checks the shares and entropy of known spreads. Every
// case but the even ones leaves a class empty, whose share 0 contributes
// 0·ln 0 = 0 to the entropy by convention (a NaN if computed as written);
// the comparisons fail on NaN.
func TestClassCoverage(t *testing.T) {
	for _, tc := range []struct {
		name    string
		classes []int
		n       int
		shares  []float64
		entropy float64 // in nats, worked out by hand
	}{
		{"one class empty", []int{0, 0, 1, 3}, 4, []float64{0.5, 0.25, 0, 0.25}, 1.5 * math.Ln2},
		{"even over 3", []int{0, 1, 2}, 3, []float64{1. / 3, 1. / 3, 1. / 3}, math.Log(3)},
		{"all in one of 10", []int{7, 7, 7}, 10, []float64{0, 0, 0, 0, 0, 0, 0, 1, 0, 0}, 0},
		{"two of 4, the first and last empty", []int{1, 2, 2, 1}, 4, []float64{0, 0.5, 0.5, 0}, math.Ln2},
		{"one item", []int{0}, 2, []float64{1, 0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ClassCoverage(tc.classes, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Shares) != tc.n {
				t.Fatalf("%d shares, want %d", len(c.Shares), tc.n)
			}
			for k, want := range tc.shares {
				if !(math.Abs(c.Shares[k]-want) <= 1e-15) {
					t.Errorf("share of class %d = %v, want %v", k, c.Shares[k], want)
				}
			}
			if !(math.Abs(c.Entropy-tc.entropy) <= 1e-12) {
				t.Errorf("entropy %v, want %v", c.Entropy, tc.entropy)
			}
		})
	}
	for _, bad := range []struct {
		classes []int
		n       int
	}{{[]int{0, 4}, 4}, {[]int{-1}, 2}, {nil, 3}, {[]int{0}, 0}} {
		if c, err := ClassCoverage(bad.classes, bad.n); err == nil {
			t.Errorf("ClassCoverage(%v, %d) = %+v, want an error", bad.classes, bad.n, c)
		}
	}
}

// BenchmarkCompare10k scores 10,000 generated feature vectors of Dim 128
// against 10,000 real ones (what `latent score` does per row), with the
// reference prepared once outside the timing.
func BenchmarkCompare10k(b *testing.B) {
	real, gen := gaussian(10000, 128, 1, 0, 1, true), gaussian(10000, 128, 2, 0.1, 1, true)
	ref, err := NewReference(real, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := ref.Compare(gen); err != nil {
			b.Fatal(err)
		}
	}
}
