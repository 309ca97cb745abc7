package disentangle

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// scores holds every metric of one synthetic sampler.
type scores struct {
	mig, sap, dciD, dciC, dciI, fv, bv float64
}

// scoreSampler draws 5000 train and 2500 test images from s and computes
// every metric, FactorVAE and BetaVAE with 1000 train and 500 eval votes.
func scoreSampler(t *testing.T, s Sampler) scores {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	train, err := Draw(rng, s, 5000)
	if err != nil {
		t.Fatal(err)
	}
	test, err := Draw(rng, s, 2500)
	if err != nil {
		t.Fatal(err)
	}
	mig, err := MIG(train)
	if err != nil {
		t.Fatal(err)
	}
	sap, err := SAP(train, test)
	if err != nil {
		t.Fatal(err)
	}
	dci, err := DCI(train, test)
	if err != nil {
		t.Fatal(err)
	}
	fv, err := FactorVAE(rng, s, FactorVAEOptions{Batch: 64, Train: 1000, Eval: 500, VarianceSamples: 5000, Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	bv, err := BetaVAE(rng, s, BetaVAEOptions{Batch: 64, Train: 1000, Eval: 500})
	if err != nil {
		t.Fatal(err)
	}
	return scores{mig.Score, sap.Score, dci.Disentanglement, dci.Completeness, dci.InformativenessTest,
		fv.EvalAccuracy, bv.EvalAccuracy}
}

// span is a closed range a score must fall in.
type span struct{ lo, hi float64 }

// TestKnownAnswers scores synthetic codes whose answers are known: codes
// equal to the factors (plus noise of 0.001) score ~1; SAP's ceiling is
// 1 − chance (0.5 for binary factors, whose diagonal accuracies are 1), and
// below that for factors of 3 values or more, which a linear classifier on
// one dimension cannot separate in the middle of the range. A rotation that
// mixes every factor into every dimension equally (a Hadamard matrix, equal
// factor sizes) scores ~0 on MIG, SAP and DCI's disentanglement and
// completeness, and ~chance (1/4) on FactorVAE and BetaVAE, while DCI's
// informativeness stays ~1. A random rotation lowers MIG, SAP and DCI;
// FactorVAE and BetaVAE stay high on it, since each factor still moves one
// dimension most (a known blind spot of both). Random codes score ~0 on
// MIG, SAP and completeness and ~chance on FactorVAE, BetaVAE and
// informativeness; DCI's disentanglement of noise is not 0 (the importances
// of pure noise are uneven across factors), hence its looser bound.
func TestKnownAnswers(t *testing.T) {
	mixed := []int{3, 6, 10, 16}
	equal := []int{8, 8, 8, 8}
	free := span{0, 1} // any score in [0, 1]
	hadamard := mat.NewDense(4, 4, []float64{.5, .5, .5, .5, .5, -.5, .5, -.5, .5, .5, -.5, -.5, .5, -.5, -.5, .5})
	cases := []struct {
		name string
		s    synth
		want [7]span // MIG, SAP, DCI D, C, I, FactorVAE, BetaVAE
	}{
		{"aligned", synth{mixed, identity(4), 0.001},
			[7]span{{0.97, 1}, {0.15, 0.5}, {0.95, 1}, {0.95, 1}, {0.95, 1}, {0.99, 1}, {0.99, 1}}},
		{"aligned binary", synth{[]int{2, 2, 2, 2}, identity(4), 0.001},
			[7]span{{0.99, 1}, {0.45, 0.5}, {0.95, 1}, {0.95, 1}, {0.99, 1}, {0.99, 1}, {0.99, 1}}},
		{"hadamard mix", synth{equal, hadamard, 0.001},
			[7]span{{0, 0.05}, {0, 0.05}, {0, 0.05}, {0, 0.05}, {0.95, 1}, {0, 0.4}, {0, 0.4}}},
		{"random rotation", synth{mixed, rotation(rand.New(rand.NewPCG(5, 5)), 4), 0.001},
			[7]span{{0, 0.45}, {0, 0.15}, {0, 0.45}, {0, 0.45}, {0.95, 1}, free, free}},
		{"random codes", synth{mixed, mat.NewDense(4, 4, nil), 1},
			[7]span{{0, 0.02}, {0, 0.02}, {0, 0.4}, {0, 0.05}, {0, 0.3}, {0, 0.4}, {0, 0.4}}},
	}
	names := [7]string{"MIG", "SAP", "DCI disentanglement", "DCI completeness", "DCI informativeness", "FactorVAE", "BetaVAE"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := scoreSampler(t, c.s)
			got := [7]float64{s.mig, s.sap, s.dciD, s.dciC, s.dciI, s.fv, s.bv}
			for i, v := range got {
				if !(v >= c.want[i].lo && v <= c.want[i].hi) {
					t.Errorf("%s = %.4f, want in [%g, %g]", names[i], v, c.want[i].lo, c.want[i].hi)
				}
			}
		})
	}
}

// grid returns every combination of factor values of sizes once, the
// first factor slowest, so that distinct factors are exactly independent.
func grid(sizes ...int) Factors {
	fs := Factors{Sizes: sizes}
	n := 1
	for _, s := range sizes {
		n *= s
	}
	for i := range n {
		r := i
		row := make([]int, len(sizes))
		for f := len(sizes) - 1; f >= 0; f-- {
			row[f], r = r%sizes[f], r/sizes[f]
		}
		fs.Values = append(fs.Values, row...)
	}
	return fs
}

// TestMIGByHand: on the full grid of 3 × 4 × 5 factors, codes that are the
// factors (up to an affine map, which the equal-width bins undo) have MIG
// 1; a second dimension copying factor 0 makes factor 0's top two MIs
// equal, so its gap is 0 and MIG = 2/3; a dimension holding factor 1 at
// half resolution (⌊f1/2⌋, MI ln 2 against its entropy ln 4) makes factor
// 1's gap (ln 4 − ln 2)/ln 4 = 1/2, so MIG = (1 + 1/2 + 1)/3 = 5/6.
func TestMIGByHand(t *testing.T) {
	fs := grid(3, 4, 5)
	cases := []struct {
		name string
		code func(f0, f1, f2 int) []float64
		want float64
	}{
		{"factors", func(a, b, c int) []float64 { return []float64{float64(a), float64(b), float64(c)} }, 1},
		{"affine", func(a, b, c int) []float64 { return []float64{-3*float64(a) + 7, 0.5 * float64(b), 1e3 * float64(c)} }, 1},
		{"factor 0 copied", func(a, b, c int) []float64 { return []float64{float64(a), float64(b), float64(c), float64(a)} }, 2.0 / 3},
		{"factor 1 halved", func(a, b, c int) []float64 { return []float64{float64(a), float64(b), float64(c), float64(b / 2)} }, 5.0 / 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw []float64
			for i := range fs.Len() {
				raw = append(raw, c.code(fs.At(i, 0), fs.At(i, 1), fs.At(i, 2))...)
			}
			r, err := MIG(Set{Codes: mat.NewDense(fs.Len(), len(raw)/fs.Len(), raw), Factors: fs})
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(r.Score - c.want); !(d <= 1e-12) {
				t.Errorf("MIG = %.15f, want %.15f", r.Score, c.want)
			}
		})
	}
}

// TestDiscretize checks the bins on hand-made values: 20 bins of width
// 0.05 on [0, 1] put 0.05 (an edge) in bin 1 and the maximum in bin 19; a
// constant column lands in bin 10 of the ±0.5 range numpy widens it to.
func TestDiscretize(t *testing.T) {
	cases := []struct {
		x    []float64
		want []int
	}{
		{[]float64{0, 0.05, 0.0499, 0.5, 0.97, 1}, []int{0, 1, 0, 10, 19, 19}},
		{[]float64{2, 2, 2}, []int{10, 10, 10}},
	}
	for _, c := range cases {
		got := Discretize(c.x, Bins)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Discretize(%v) = %v, want %v", c.x, got, c.want)
				break
			}
		}
	}
}

// TestImportanceScores checks DCI's disentanglement and completeness on
// hand-made importance matrices: diagonal 1 and 1; uniform 0 and 0; two
// factors on dimension 0 and one on dimension 1 (R = [[1 1 0] [0 0 1]]):
// disentanglement 2/3·(1 − log₃2) + 1/3·1, completeness 1.
func TestImportanceScores(t *testing.T) {
	cases := []struct {
		name       string
		r          *mat.Dense
		wantD, wnC float64
	}{
		{"diagonal", identity(3), 1, 1},
		{"uniform", mat.NewDense(2, 3, []float64{1, 1, 1, 1, 1, 1}), 0, 0},
		{"shared", mat.NewDense(2, 3, []float64{1, 1, 0, 0, 0, 1}), 2.0/3*(1-math.Log(2)/math.Log(3)) + 1.0/3, 1},
	}
	for _, c := range cases {
		d, comp := weightedOneMinusEntropy(c.r), weightedOneMinusEntropy(c.r.T())
		if e := math.Abs(d - c.wantD); !(e <= 1e-8) {
			t.Errorf("%s: disentanglement %.12f, want %.12f", c.name, d, c.wantD)
		}
		if e := math.Abs(comp - c.wnC); !(e <= 1e-8) {
			t.Errorf("%s: completeness %.12f, want %.12f", c.name, comp, c.wnC)
		}
	}
}

// TestFactorVAEByHand scores hand-made batches over 3 dimensions, the
// third collapsed (global standard deviation 0.01 < 0.05, so pruned,
// though every batch holds it constant). A batch constant in dimension j
// votes for j. Train votes: factor 0 → dims 0, 0, 0, 1; factor 1 → dims
// 1, 1: the classifier maps dim 0 to factor 0 and dim 1 to factor 1, train
// accuracy 5/6. Eval votes: factor 0 → dim 0; factor 1 → dims 0, 0, 1:
// accuracy 2/4 (a classifier fitted to the eval votes would score 3/4).
func TestFactorVAEByHand(t *testing.T) {
	global := mat.NewDense(4, 3, []float64{0, 0, 0, 1, 1, 0.02, 0, 1, 0, 1, 0, 0.02})
	batch := func(f, j int) Batch {
		codes := mat.NewDense(3, 3, []float64{0, 0, 5, 1, 1, 5, 2, 0, 5})
		for i := range 3 {
			codes.Set(i, j, 7)
		}
		return Batch{Factor: f, Codes: codes}
	}
	train := []Batch{batch(0, 0), batch(0, 0), batch(0, 0), batch(0, 1), batch(1, 1), batch(1, 1)}
	eval := []Batch{batch(0, 0), batch(1, 0), batch(1, 0), batch(1, 1)}
	r, err := FactorVAEScore(global, train, eval, 2, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Active, []int{0, 1}) {
		t.Errorf("active %v, want [0 1]", r.Active)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"train", r.TrainAccuracy, 5.0 / 6}, {"eval", r.EvalAccuracy, 0.5}} {
		if e := math.Abs(c.got - c.want); !(e <= 1e-15) {
			t.Errorf("%s accuracy %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestSVCOptimum checks that fitSVC minimises LinearSVC's objective with
// balanced class weights: on unbalanced classes (60/30/10 %), the gradient
// of ½(w² + b²) + Σ c_i·max(0, 1 − s_i(w·x_i + b))², with c_i = C·n/(K·n_k)
// for positives (and both classes when K = 2) and C for one-vs-rest
// negatives, written out here, vanishes at each fitted (w, b).
func TestSVCOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, K := range []int{2, 3} {
		var x []float64
		var y []int
		for i := range 1000 {
			k := 0
			if u := i % 10; u >= 6 && u < 9 || K == 2 && u == 9 {
				k = 1
			} else if u == 9 {
				k = 2
			}
			x, y = append(x, float64(k)+rng.NormFloat64()), append(y, k)
		}
		m, err := fitSVC(x, y, SAPC)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int]float64{0: 600, 1: 300, 2: 100}
		if K == 2 {
			counts[1] = 400
		}
		for p := range m.w {
			pos := p + 1
			if K > 2 {
				pos = p
			}
			var gw, gb float64 = m.w[p], m.b[p]
			for i := range x {
				s, c := -1.0, SAPC
				if y[i] == pos {
					s, c = 1, SAPC*1000/(float64(K)*counts[y[i]])
				} else if K == 2 {
					c = SAPC * 1000 / (float64(K) * counts[y[i]])
				}
				if mg := 1 - s*(m.w[p]*x[i]+m.b[p]); mg > 0 {
					gw, gb = gw-2*c*mg*s*x[i], gb-2*c*mg*s
				}
			}
			if g := math.Max(math.Abs(gw), math.Abs(gb)); !(g <= 1e-4) {
				t.Errorf("K=%d, problem %d: gradient (%g, %g) at (w, b) = (%g, %g)", K, p, gw, gb, m.w[p], m.b[p])
			}
		}
	}
}
