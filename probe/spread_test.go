package probe

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/internal/testenv"
)

// moons returns two interleaved half circles in 2-D (class 0 the upper,
// class 1 the lower), labels alternating, with Gaussian noise of standard
// deviation noise: the classic case where a few labels spread along each
// moon classify it, and nearest labelled neighbours do not.
func moons(rng *rand.Rand, n int, noise float64) ([]float32, []int) {
	x, labels := make([]float32, 2*n), cyclicLabels(n, 2)
	for i, l := range labels {
		th := math.Pi * rng.Float64()
		px, py := math.Cos(th), math.Sin(th)
		if l == 1 {
			px, py = 1-px, 0.5-py
		}
		x[2*i], x[2*i+1] = float32(px+noise*rng.NormFloat64()), float32(py+noise*rng.NormFloat64())
	}
	return x, labels
}

// spreadReference is what testdata/spread.py prints.
type spreadReference struct {
	Neighbors   [][]int   `json:"neighbors"`
	Scores      []float64 `json:"scores"`
	Iterations  int       `json:"iterations"`
	Spread      []int     `json:"spread"`
	Predictions []int     `json:"predictions"`
	OneNN       []int     `json:"one_nn"`
}

// TestSpreadAgainstNumpy compares label spreading on two moons with
// testdata/spread.py, an independent numpy implementation (brute-force
// graph, F iterated rather than solved): the same graph, scores within
// 10⁻⁹, the same spread labels and test predictions. On this case
// spreading 4 labels must classify the test moons almost perfectly, where
// 1-NN on the 4 labelled points alone errs on more than a tenth; it is
// skipped without python and numpy ($LATENT_PYTHON), failed with CI=true.
func TestSpreadAgainstNumpy(t *testing.T) {
	python := testenv.PythonNumpy(t)
	rng := rand.New(rand.NewPCG(36, 1))
	train, trainLabels := moons(rng, 300, 0.05)
	test, testLabels := moons(rng, 200, 0.05)
	d, err := Draw(trainLabels, 4, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	s := Spreading{K: 7, Alpha: 0.99}
	labelled, label := make([]int, len(d.Sets[0])), make([]int, len(d.Sets[0]))
	for i, p := range d.Sets[0] {
		labelled[i], label[i] = d.Images[p], d.Labels[p]
	}
	ref := runSpreadReference(t, python, train, test, labelled, label, s)

	points := mat.NewDense(300, 2, float64s(train))
	g, err := NewGraph(points, s.K)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if !slices.Equal(g.Neighbors(i), ref.Neighbors[i]) {
			t.Fatalf("code %d: neighbours %v, numpy %v", i, g.Neighbors(i), ref.Neighbors[i])
		}
	}
	scores, err := g.Scores(labelled, label, 2, s.Alpha) // the labels are the classes 0 and 1
	if err != nil {
		t.Fatal(err)
	}
	top := slices.Max(ref.Scores)
	for i, v := range scores {
		if e := math.Abs(v - ref.Scores[i]); !(e <= 1e-9*top) {
			t.Fatalf("score %d = %.15g, numpy %.15g (after %d iterations)", i, v, ref.Scores[i], ref.Iterations)
		}
	}
	spread, err := g.Labels(labelled, label, s.Alpha)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(spread, ref.Spread) {
		t.Errorf("spread labels differ from numpy's")
	}
	votes, err := nearestRows(mat.NewDense(200, 2, float64s(test)), points, s.K, false)
	if err != nil {
		t.Fatal(err)
	}
	wrong, oneWrong := 0, 0
	for i := range testLabels {
		if p := vote(votes[i], spread); p != ref.Predictions[i] {
			t.Fatalf("test %d: predicted %d, numpy %d", i, p, ref.Predictions[i])
		}
		if ref.Predictions[i] != testLabels[i] {
			wrong++
		}
		if ref.OneNN[i] != testLabels[i] {
			oneWrong++
		}
	}
	got, err := EvaluateSpread(d, Features{Name: "moons", Dim: 2, Train: train, Test: test}, testLabels, s)
	if err != nil {
		t.Fatal(err)
	}
	want := 100 * float64(wrong) / 200
	if len(got.Errors) != 1 || got.Mean != want || got.Classifier != "label spreading (k = 7, α = 0.99)" {
		t.Errorf("EvaluateSpread: %+v, want one error of %g%% (numpy's predictions)", got, want)
	}
	knn, err := Evaluate(d, Features{Name: "moons", Dim: 2, Train: rowsOf(train, 2, d.Images), Test: test}, testLabels, 1)
	if err != nil {
		t.Fatal(err)
	}
	if oneNN := 100 * float64(oneWrong) / 200; knn[1].Mean != oneNN {
		t.Errorf("1-NN on the labelled codes: %g%%, numpy %g%%", knn[1].Mean, oneNN)
	}
	t.Logf("two moons, 4 labels: label spreading %.1f%%, 1-NN on the labels alone %.1f%%, numpy iterated %d times",
		got.Mean, knn[1].Mean, ref.Iterations)
	if !(got.Mean <= 2) || !(knn[1].Mean >= 10) {
		t.Errorf("label spreading %.1f%%, want ≤ 2%%; 1-NN on the labels alone %.1f%%, want ≥ 10%%: not the case the test is for",
			got.Mean, knn[1].Mean)
	}
}

// rowsOf returns the rows idx of x (rows of dim values).
func rowsOf(x []float32, dim int, idx []int) []float32 {
	var out []float32
	for _, i := range idx {
		out = append(out, x[i*dim:(i+1)*dim]...)
	}
	return out
}

// runSpreadReference writes the codes and labels to a temporary folder
// and runs testdata/spread.py on it.
func runSpreadReference(t *testing.T, python string, train, test []float32, labelled, label []int, s Spreading) spreadReference {
	t.Helper()
	dir := t.TempDir()
	for name, x := range map[string]any{"train.f64": float64s(train), "test.f64": float64s(test),
		"labelled.i64": int64s(labelled), "labels.i64": int64s(label)} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := binary.Write(f, binary.LittleEndian, x); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	meta, err := json.Marshal(map[string]any{"n": len(train) / 2, "nt": len(test) / 2, "dim": 2, "k": s.K, "alpha": s.Alpha})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	var ref spreadReference
	testenv.PythonJSON(t, &ref, python, nil, "testdata/spread.py", dir)
	if len(ref.Neighbors) != len(train)/2 || len(ref.Predictions) != len(test)/2 || len(ref.Scores) != len(train) {
		t.Fatalf("spread.py printed %d neighbour lists, %d predictions, %d scores: wrong shapes",
			len(ref.Neighbors), len(ref.Predictions), len(ref.Scores))
	}
	return ref
}

func int64s(x []int) []int64 {
	out := make([]int64, len(x))
	for i, v := range x {
		out[i] = int64(v)
	}
	return out
}

// blob returns n 2-D codes on a small integer grid around (x, y).
func blob(x, y float64, n int) []float64 {
	out := make([]float64, 0, 2*n)
	for i := range n {
		out = append(out, x+float64(i%4), y+float64(i/4))
	}
	return out
}

// TestSpreadLabels: the edge cases of spreading. Codes far apart form
// separate components of the graph; a class with a single label takes its
// whole component; a component without labels takes, code by code, the
// label of the nearest labelled code; labels are any integers.
func TestSpreadLabels(t *testing.T) {
	a, b, c := blob(0, 0, 12), blob(100, 0, 12), blob(100, 60, 12) // c is nearer b than a
	for _, tc := range []struct {
		name     string
		codes    [][]float64
		labelled []int
		label    []int
		want     []int // each blob's label, every code of it
	}{
		{"one label against five", [][]float64{a, b}, []int{5, 12, 13, 14, 15, 16}, []int{7, 3, 3, 3, 3, 3}, []int{7, 3}},
		{"a component without labels", [][]float64{a, b, c}, []int{0, 12}, []int{1, 0}, []int{1, 0, 0}},
		{"negative labels, the unlabelled blob second", [][]float64{a, c, b}, []int{0, 24}, []int{-4, 9}, []int{-4, 9, 9}},
		{"three classes, one label each", [][]float64{a, b, c}, []int{3, 20, 30}, []int{2, 0, 1}, []int{2, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGraph(mat.NewDense(12*len(tc.codes), 2, slices.Concat(tc.codes...)), 3)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Labels(tc.labelled, tc.label, 0.99)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range got {
				if l != tc.want[i/12] {
					t.Fatalf("code %d (blob %d): label %d, want %d; all %v", i, i/12, l, tc.want[i/12], got)
				}
			}
		})
	}
}

// TestNearestRows: the blocked search finds what embedding.Nearest finds,
// over several blocks and a partial last one; with self, each query
// leaves itself out, not its duplicate; ties go to the lower index
// (integer coordinates, whose distances are exact).
func TestNearestRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const nq, n, dim, k = 2*searchBlock + 17, 400, 5, 6
	q, p := make([]float32, nq*dim), make([]float32, n*dim)
	for i := range q {
		q[i] = float32(rng.NormFloat64())
	}
	for i := range p {
		p[i] = float32(rng.NormFloat64())
	}
	for _, self := range []bool{false, true} {
		queries, codes := q, p
		if self {
			queries = p
		}
		found, err := nearestRows(mat.NewDense(len(queries)/dim, dim, float64s(queries)), mat.NewDense(n, dim, float64s(codes)), k, self)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(queries) / dim {
			want, err := embedding.Nearest(queries[i*dim:(i+1)*dim], codes, k+1)
			if err != nil {
				t.Fatal(err)
			}
			if self {
				want = want[1:] // itself, at distance 0
			}
			for j := range k {
				if found[i][j].Index != want[j].Index || !(math.Abs(found[i][j].Distance-want[j].Distance) <= 1e-9) {
					t.Fatalf("self %v, query %d: %v, embedding.Nearest %v", self, i, found[i], want[:k])
				}
			}
		}
	}
	line := mat.NewDense(6, 1, []float64{3, 1, 5, 1, 3, 9})
	for _, tc := range []struct {
		query float64
		self  bool
		want  []int
	}{
		{2, false, []int{0, 1, 3, 4}}, // four at distance 1: by index
		{2, false, []int{0, 1, 3}},    // the same, the fourth left out
		{4, false, []int{0, 2, 4, 1}}, // 3, 5, 3 at distance 1, then the two 1s at 3: the lower
		{0, true, []int{4, 1, 2, 3}},  // query 0 (at 3) leaves itself out, not its duplicate 4
	} {
		queries := mat.NewDense(1, 1, []float64{tc.query})
		if tc.self {
			queries = line
		}
		found, err := nearestRows(queries, line, len(tc.want), tc.self)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int, len(tc.want))
		for j, nb := range found[0] {
			got[j] = nb.Index
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("query %g (self %v): %v, want %v", tc.query, tc.self, got, tc.want)
		}
	}
	if _, err := nearestRows(line, line, 6, true); err == nil {
		t.Error("k = 6 of 6 codes, each leaving itself out: no error")
	}
}

// TestArgmaxRows: the largest score's class, ties to the lower class, −1
// for a row with no score above 0.
func TestArgmaxRows(t *testing.T) {
	f := []float64{
		0.1, 0.3, 0.2,
		0.4, 0.1, 0.4,
		0, 0, 0,
		0, -1e-20, 0,
		0, 0, 1e-300,
	}
	if got, want := argmaxRows(f, 3), []int{1, 0, -1, -1, 2}; !slices.Equal(got, want) {
		t.Errorf("argmaxRows: %v, want %v", got, want)
	}
}

// TestEvaluateSpreadRefuses: a k or α out of range and features that do
// not cover the training images the draws index are errors.
func TestEvaluateSpreadRefuses(t *testing.T) {
	labels := cyclicLabels(40, 2)
	d, err := Draw(labels, 4, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ok := Features{Name: "codes", Dim: 3, Train: clusters(rng, labels, 3, 20), Test: clusters(rng, labels[:10], 3, 20)}
	short := ok
	short.Train = ok.Train[:3*slices.Max(d.Images)]
	for _, tc := range []struct {
		name string
		f    Features
		s    Spreading
	}{
		{"k 0", ok, Spreading{K: 0, Alpha: 0.5}},
		{"k of every code", ok, Spreading{K: 40, Alpha: 0.5}},
		{"α 1", ok, Spreading{K: 3, Alpha: 1}},
		{"α NaN", ok, Spreading{K: 3, Alpha: math.NaN()}},
		{"too few training rows", short, Spreading{K: 3, Alpha: 0.5}},
	} {
		if _, err := EvaluateSpread(d, tc.f, labels[:10], tc.s); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	if s, err := EvaluateSpread(d, ok, labels[:10], Spreading{K: 3, Alpha: 0.5}); err != nil || len(s.Errors) != 2 || !(s.Mean <= 0) {
		t.Errorf("separated clusters: %+v, %v; want 2 draws without errors", s, err)
	}
}
