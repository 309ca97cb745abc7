package probe

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/latent-vae/latent/embedding"
)

// cyclicLabels returns n labels i mod classes.
func cyclicLabels(n, classes int) []int {
	l := make([]int, n)
	for i := range l {
		l[i] = i % classes
	}
	return l
}

// TestDrawBalanced: each draw holds n/C images of every class and one more
// of n mod C classes, no image twice; draws differ; a draw is the same
// whatever the number of draws; Images and Sets index the same images.
func TestDrawBalanced(t *testing.T) {
	labels := cyclicLabels(600, 10)
	for _, tc := range []struct{ n, minPer, maxPer int }{{100, 10, 10}, {25, 2, 3}, {10, 1, 1}} {
		d, err := Draw(labels, tc.n, 4, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Sets) != 4 || len(d.Labels) != len(d.Images) || !slices.IsSorted(d.Images) {
			t.Fatalf("n %d: %d sets, %d labels for %d images (sorted %v)", tc.n, len(d.Sets), len(d.Labels), len(d.Images), slices.IsSorted(d.Images))
		}
		for s, set := range d.Sets {
			per := map[int]int{}
			for _, p := range set {
				per[d.Labels[p]]++
				if labels[d.Images[p]] != d.Labels[p] {
					t.Fatalf("image %d: label %d, Labels says %d", d.Images[p], labels[d.Images[p]], d.Labels[p])
				}
			}
			if len(set) != tc.n || len(slices.Compact(slices.Clone(set))) != tc.n {
				t.Errorf("n %d, draw %d: %d images, %d distinct", tc.n, s, len(set), len(slices.Compact(slices.Clone(set))))
			}
			for c := range 10 {
				if per[c] < tc.minPer || per[c] > tc.maxPer {
					t.Errorf("n %d, draw %d: %d images of class %d, want %d to %d", tc.n, s, per[c], c, tc.minPer, tc.maxPer)
				}
			}
		}
		images := func(d *Draws, s int) []int {
			out := make([]int, len(d.Sets[s]))
			for t, p := range d.Sets[s] {
				out[t] = d.Images[p]
			}
			return out
		}
		one, err := Draw(labels, tc.n, 1, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(images(one, 0), images(d, 0)) {
			t.Errorf("n %d: draw 0 of one draw differs from draw 0 of four", tc.n)
		}
		if slices.Equal(images(d, 0), images(d, 1)) {
			t.Errorf("n %d: draws 0 and 1 are the same images", tc.n)
		}
	}
}

// TestDrawRefuses: fewer labels than classes, a class too small for its
// share, one class and no draws are errors.
func TestDrawRefuses(t *testing.T) {
	small := append(cyclicLabels(100, 10), 3, 3, 3) // class 3 has 13, the others 10
	for _, tc := range []struct {
		name     string
		labels   []int
		n, draws int
	}{
		{"fewer labels than classes", cyclicLabels(100, 10), 9, 1},
		{"a class too small", small, 120, 1},
		{"one class", make([]int, 50), 10, 1},
		{"no draws", cyclicLabels(100, 10), 10, 0},
	} {
		if _, err := Draw(tc.labels, tc.n, tc.draws, 1); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	if _, err := Draw(small, 100, 1, 1); err != nil {
		t.Errorf("100 labels of 10 classes of at least 10: %v", err)
	}
}

// clusters returns n features of dim values around the class's centre
// (class c: coordinate c mod dim set to sep), plus unit Gaussian noise.
func clusters(rng *rand.Rand, labels []int, dim int, sep float64) []float32 {
	x := make([]float32, len(labels)*dim)
	for i, l := range labels {
		for j := range dim {
			x[i*dim+j] = float32(rng.NormFloat64())
		}
		x[i*dim+l%dim] += float32(sep)
	}
	return x
}

// TestEvaluateSeparable: on well-separated clusters both classifiers make
// no errors; on features that carry nothing of the class both err at
// about chance (1 − 1/C); each score has one error per draw, with their
// mean and spread.
func TestEvaluateSeparable(t *testing.T) {
	const classes, dim = 5, 8
	train, test := cyclicLabels(500, classes), cyclicLabels(1000, classes)
	d, err := Draw(train, 20, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	picked := make([]int, len(d.Images))
	for k, i := range d.Images {
		picked[k] = train[i]
	}
	for _, tc := range []struct {
		name     string
		sep      float64
		min, max float64 // the mean error's bounds, percent
	}{{"separable", 20, 0, 0}, {"noise", 0, 65, 95}} {
		f := Features{Name: tc.name, Dim: dim, Train: clusters(rng, picked, dim, tc.sep), Test: clusters(rng, test, dim, tc.sep)}
		scores, err := Evaluate(d, f, test, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(scores) != 2 || scores[0].Classifier != Logistic || scores[1].Classifier != "k-NN (k = 3)" {
			t.Fatalf("scores %+v: want logistic regression, then k-NN (k = 3)", scores)
		}
		for _, s := range scores {
			m, sd := meanStd(s.Errors)
			if len(s.Errors) != 3 || s.Mean != m || s.Std != sd || s.Features != tc.name {
				t.Errorf("%s %s: %+v, want 3 errors with their mean and std", tc.name, s.Classifier, s)
			}
			if !(s.Mean >= tc.min && s.Mean <= tc.max) {
				t.Errorf("%s %s: mean error %.2f%%, want %.0f to %.0f", tc.name, s.Classifier, s.Mean, tc.min, tc.max)
			}
		}
	}
	if _, err := Evaluate(d, Features{Name: "short", Dim: dim, Train: make([]float32, 3), Test: make([]float32, len(test)*dim)}, test, 1); err == nil {
		t.Error("features of the wrong size: no error")
	}
}

// TestVote: the most frequent label wins; a tie goes to the label of the
// nearest of the tied neighbours.
func TestVote(t *testing.T) {
	labels := []int{0, 1, 1, 2, 2}
	nb := func(idx ...int) []embedding.Neighbor {
		out := make([]embedding.Neighbor, len(idx))
		for i, j := range idx {
			out[i] = embedding.Neighbor{Index: j, Distance: float64(i)}
		}
		return out
	}
	for _, tc := range []struct {
		found []int
		want  int
	}{
		{[]int{0, 1, 2}, 1},    // two 1s beat the nearest 0
		{[]int{3, 1, 4, 2}, 2}, // 2 and 1 tie; the nearest is a 2
		{[]int{1, 3, 2, 4}, 1}, // the same tie; the nearest is a 1
		{[]int{0}, 0},
	} {
		if got := vote(nb(tc.found...), labels); got != tc.want {
			t.Errorf("neighbours %v (labels %v): vote %d, want %d", tc.found, labels, got, tc.want)
		}
	}
}

// TestMeanStd: the sample standard deviation (n − 1), 0 for one value.
func TestMeanStd(t *testing.T) {
	for _, tc := range []struct {
		x         []float64
		mean, std float64
	}{{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7)}, {[]float64{3}, 3, 0}} {
		m, s := meanStd(tc.x)
		if !(math.Abs(m-tc.mean) <= 1e-12) || !(math.Abs(s-tc.std) <= 1e-12) {
			t.Errorf("meanStd(%v) = %g, %g; want %g, %g", tc.x, m, s, tc.mean, tc.std)
		}
	}
}
