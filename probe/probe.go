// Package probe measures what a representation of images is worth with few
// labels: a multinomial logistic regression and a k-nearest-neighbour
// classifier are trained on a few labelled training images, drawn
// balanced across classes, and tested on every test image; the error
// rates are averaged over several draws. It runs on the host in float64
// and knows nothing of models: the features are a VAE's codes, raw
// pixels, or anything else of fixed size per image.
//
// The classifiers are the ones latent already has: disentangle's
// logistic regression (sklearn's default LogisticRegression, C = 1, run
// to convergence) and embedding's brute-force nearest-neighbour search
// (Euclidean). Label spreading (EvaluateSpread, Zhou et al. 2004) also
// uses the unlabelled training images' features: their k-nearest-neighbour
// graph, found by a blocked search through gonum's matrix product, spreads
// each draw's labels over every training image, and the test images vote
// among their nearest training images' spread labels.
package probe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/disentangle"
	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/internal/parallel"
)

// M1TSVMError is the test error, in percent, of M1 + TSVM on MNIST with
// 100 labels (10 per class): Kingma, Rezende, Mohamed and Welling,
// "Semi-supervised learning with deep generative models", NeurIPS 2014,
// table 1. Its features are a VAE's posterior means, as here; its
// classifier is a transductive SVM, which also sees the unlabelled
// images.
const M1TSVMError = 11.82

// LogisticC is the logistic regression's inverse L2 strength: sklearn's
// default.
const LogisticC = 1

// The classifiers' names, as results give them.
const (
	Logistic = "logistic regression"
	KNN      = "k-NN"
)

// Draws are the labelled training images of several draws.
type Draws struct {
	// Images are the training images that some draw labels, ascending:
	// the only ones whose features are needed.
	Images []int
	// Labels are their class labels.
	Labels []int
	// Sets holds each draw's labelled images, as positions in Images.
	Sets [][]int
}

// Draw draws, draws times, n labelled images from a training split whose
// class labels are labels, balanced across its classes: n/C images of
// each of its C classes and one more of n mod C classes chosen at random,
// each draw from its own generator seeded by seed and the draw's number,
// so a draw does not depend on how many are drawn. It refuses n below C
// and a class with fewer images than it needs.
func Draw(labels []int, n, draws int, seed int64) (*Draws, error) {
	byClass := map[int][]int{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	classes := make([]int, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	switch {
	case draws < 1:
		return nil, fmt.Errorf("%d draws: want at least 1", draws)
	case len(classes) < 2:
		return nil, fmt.Errorf("the training split has %d class(es); a classifier needs at least 2", len(classes))
	case n < len(classes):
		return nil, fmt.Errorf("%d labels are fewer than the %d classes: want at least one per class", n, len(classes))
	}
	picks := make([][]int, draws)
	for d := range draws {
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(d)))
		extra := rng.Perm(len(classes))[:n%len(classes)]
		for k, c := range classes {
			want, pool := n/len(classes), byClass[c]
			if slices.Contains(extra, k) {
				want++
			}
			if want > len(pool) {
				return nil, fmt.Errorf("class %d has %d training images; %d labels in all take %d of it", c, len(pool), n, want)
			}
			for _, j := range rng.Perm(len(pool))[:want] {
				picks[d] = append(picks[d], pool[j])
			}
		}
	}
	return index(picks, labels), nil
}

// index returns the draws picks of training images (labelled labels) as
// Draws: their union, ascending, and each draw as positions in it.
func index(picks [][]int, labels []int) *Draws {
	var all []int
	for _, p := range picks {
		all = append(all, p...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	at := make(map[int]int, len(all))
	out := &Draws{Images: all, Labels: make([]int, len(all)), Sets: make([][]int, len(picks))}
	for k, i := range all {
		at[i], out.Labels[k] = k, labels[i]
	}
	for d, p := range picks {
		out.Sets[d] = make([]int, len(p))
		for t, i := range p {
			out.Sets[d][t] = at[i]
		}
		slices.Sort(out.Sets[d])
	}
	return out
}

// Features are one representation of the images, Dim values each: Train
// holds those of the draws' Images (one row each, in their order), Test
// those of every test image.
type Features struct {
	Name        string // what they are, as results name them ("codes", "pixels")
	Dim         int
	Train, Test []float32
}

// Score is one classifier's test error on one representation.
type Score struct {
	Features   string    `json:"features"`
	Classifier string    `json:"classifier"`
	Errors     []float64 `json:"errors"` // percent of test images misclassified, per draw
	Mean       float64   `json:"mean"`   // mean of Errors
	Std        float64   `json:"std"`    // their sample standard deviation (n−1); 0 for one draw
}

// Evaluate trains each classifier on each draw's labelled images of f and
// tests it on f's test images, whose labels are testLabels; k-NN votes
// among k neighbours (ties go to the class of the nearest of them). It
// returns the logistic regression's score, then k-NN's.
func Evaluate(d *Draws, f Features, testLabels []int, k int) ([]Score, error) {
	n := len(testLabels)
	switch {
	case f.Dim < 1 || len(f.Train) != len(d.Images)*f.Dim || len(f.Test) != n*f.Dim:
		return nil, fmt.Errorf("%s: %d training and %d test values are not %d and %d rows of %d",
			f.Name, len(f.Train), len(f.Test), len(d.Images), n, f.Dim)
	case n == 0:
		return nil, fmt.Errorf("%s: no test images", f.Name)
	case k < 1:
		return nil, fmt.Errorf("k-NN: k = %d, want at least 1", k)
	}
	logistic := Score{Features: f.Name, Classifier: Logistic}
	knn := Score{Features: f.Name, Classifier: fmt.Sprintf("%s (k = %d)", KNN, k)}
	test := mat.NewDense(n, f.Dim, float64s(f.Test))
	for _, set := range d.Sets {
		rows, labels := d.rows(set, f)
		c, err := disentangle.FitClassifier(mat.NewDense(len(set), f.Dim, float64s(rows)), labels, LogisticC)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		e, err := errorRate(n, testLabels, func(i int) (int, error) {
			return c.Predict(test.RawRowView(i)), nil
		})
		if err != nil {
			return nil, err
		}
		logistic.Errors = append(logistic.Errors, e)
		e, err = errorRate(n, testLabels, func(i int) (int, error) {
			found, err := embedding.Nearest(f.Test[i*f.Dim:(i+1)*f.Dim], rows, k)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", f.Name, err)
			}
			return vote(found, labels), nil
		})
		if err != nil {
			return nil, err
		}
		knn.Errors = append(knn.Errors, e)
	}
	logistic.Mean, logistic.Std = meanStd(logistic.Errors)
	knn.Mean, knn.Std = meanStd(knn.Errors)
	return []Score{logistic, knn}, nil
}

// rows returns the features and labels of a draw's labelled images, set
// being their positions in d.Images.
func (d *Draws) rows(set []int, f Features) ([]float32, []int) {
	rows, labels := make([]float32, 0, len(set)*f.Dim), make([]int, len(set))
	for t, p := range set {
		rows = append(rows, f.Train[p*f.Dim:(p+1)*f.Dim]...)
		labels[t] = d.Labels[p]
	}
	return rows, labels
}

// errorRate returns the percentage of the n test images whose predicted
// class (predict) is not their label, or the first error of predict.
func errorRate(n int, labels []int, predict func(i int) (int, error)) (float64, error) {
	wrong, errs := make([]int, parallel.Workers()), make([]error, parallel.Workers())
	parallel.Ranges(n, func(part, lo, hi int) {
		for i := lo; i < hi && errs[part] == nil; i++ {
			c, err := predict(i)
			errs[part] = err
			if c != labels[i] {
				wrong[part]++
			}
		}
	})
	total := 0
	for part, w := range wrong {
		if errs[part] != nil {
			return 0, errs[part]
		}
		total += w
	}
	return 100 * float64(total) / float64(n), nil
}

// vote returns the most frequent label among the neighbours found (nearest
// first), ties going to the label of the nearest neighbour among them.
func vote(found []embedding.Neighbor, labels []int) int {
	count := map[int]int{}
	best, most := -1, 0
	for _, nb := range found {
		count[labels[nb.Index]]++
	}
	for _, nb := range found { // nearest first: the first label of the most votes wins
		if l := labels[nb.Index]; count[l] > most {
			best, most = l, count[l]
		}
	}
	return best
}

// meanStd returns the mean of x and its sample standard deviation (0 for
// one value).
func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

// float64s returns x as float64.
func float64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
