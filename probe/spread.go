package probe

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/internal/parallel"
)

// Spread is the classifier name label spreading's scores start with.
const Spread = "label spreading"

// Spreading is label spreading's setting (Zhou, Bousquet, Lal, Weston and
// Schölkopf 2004, "Learning with local and global consistency").
type Spreading struct {
	// K is the number of neighbours each training code joins in the graph,
	// and that a test code votes among.
	K int
	// Alpha, in (0, 1), weighs what a code takes from its neighbours
	// against its own label: F = αSF + (1−α)Y.
	Alpha float64
}

// Check refuses a K below 1 and an Alpha outside (0, 1).
func (s Spreading) Check() error {
	switch {
	case s.K < 1:
		return fmt.Errorf("label spreading: k = %d, want at least 1", s.K)
	case !(s.Alpha > 0 && s.Alpha < 1):
		return fmt.Errorf("label spreading: α = %g, want it in (0, 1)", s.Alpha)
	}
	return nil
}

// Name is the classifier's name in results: "label spreading (k = 10, α = 0.99)".
func (s Spreading) Name() string {
	return fmt.Sprintf("%s (k = %d, α = %g)", Spread, s.K, s.Alpha)
}

// Graph is the normalised symmetric k-nearest-neighbour graph of a set of
// codes: W_ij = 1 where j is among i's k nearest codes or i among j's
// (never i = j), and S = D^−1/2 W D^−1/2 with D the degrees, held as
// sparse rows.
type Graph struct {
	codes *mat.Dense
	start []int     // row i's entries are col and s [start[i], start[i+1])
	col   []int     // their columns, ascending
	s     []float64 // their S_ij
}

// NewGraph builds the graph of the rows of codes with k neighbours each,
// through the blocked search (nearestRows). It refuses k ≥ the number of
// codes.
func NewGraph(codes *mat.Dense, k int) (*Graph, error) {
	nbrs, err := nearestRows(codes, codes, k, true)
	if err != nil {
		return nil, fmt.Errorf("label spreading's graph: %w", err)
	}
	n := len(nbrs)
	adj := make([][]int, n)
	for i, row := range nbrs {
		for _, nb := range row {
			adj[i] = append(adj[i], nb.Index)
			adj[nb.Index] = append(adj[nb.Index], i)
		}
	}
	g := &Graph{codes: codes, start: make([]int, n+1)}
	for i := range adj {
		slices.Sort(adj[i])
		adj[i] = slices.Compact(adj[i])
		g.start[i+1] = g.start[i] + len(adj[i])
		g.col = append(g.col, adj[i]...)
	}
	g.s = make([]float64, len(g.col))
	for i := range n {
		for e := g.start[i]; e < g.start[i+1]; e++ {
			j := g.col[e]
			g.s[e] = 1 / math.Sqrt(float64(len(adj[i])*len(adj[j])))
		}
	}
	return g, nil
}

// Len returns the number of codes in the graph.
func (g *Graph) Len() int { return len(g.start) - 1 }

// Neighbors returns the codes joined to code i, ascending.
func (g *Graph) Neighbors(i int) []int { return g.col[g.start[i]:g.start[i+1]] }

// Scores returns F = (1−α)(I − αS)⁻¹Y, [n × C] row by row, the fixed
// point that iterating F ← αSF + (1−α)Y converges to, with Y the one-hot
// rows of the labelled codes (labelled[t] of class class[t] in [0, C))
// and zero elsewhere. It solves the C systems by conjugate gradients
// (I − αS is symmetric positive definite for α < 1), to a residual of
// 10⁻¹⁰ of the right-hand side's, in about √(1/(1−α)) times fewer steps
// than the iteration takes.
func (g *Graph) Scores(labelled, class []int, classes int, alpha float64) ([]float64, error) {
	n := g.Len()
	if len(labelled) != len(class) {
		return nil, fmt.Errorf("label spreading: %d labelled codes, %d classes", len(labelled), len(class))
	}
	b := make([]float64, n*classes)
	for t, i := range labelled {
		if i < 0 || i >= n || class[t] < 0 || class[t] >= classes {
			return nil, fmt.Errorf("label spreading: code %d of class %d: want a code below %d and a class below %d", i, class[t], n, classes)
		}
		b[i*classes+class[t]] = 1 - alpha
	}
	return g.solve(b, classes, alpha)
}

// cgTolerance is the conjugate gradients' residual, relative to the
// right-hand side's, and cgMaxSteps the steps they may take to reach it.
const (
	cgTolerance = 1e-10
	cgMaxSteps  = 10000
)

// solve returns x with (I − αS)x = b for each of b's columns (b [n ×
// cols], row by row), by conjugate gradients run on every column at once,
// each column stopped at its own convergence.
func (g *Graph) solve(b []float64, cols int, alpha float64) ([]float64, error) {
	x := make([]float64, len(b))
	r, p, ap := slices.Clone(b), slices.Clone(b), make([]float64, len(b))
	rr, bb := columnDots(r, r, cols), columnDots(b, b, cols)
	step, dir := make([]float64, cols), make([]float64, cols)
	for steps := 0; ; steps++ {
		active := false
		for c := range cols {
			if rr[c] > cgTolerance*cgTolerance*bb[c] {
				active = true
			} else {
				rr[c] = 0 // converged: its column stays as it is
			}
		}
		if !active {
			return x, nil
		}
		if steps == cgMaxSteps {
			return nil, fmt.Errorf("label spreading: no convergence in %d conjugate-gradient steps", cgMaxSteps)
		}
		g.apply(p, ap, cols, alpha)
		pap := columnDots(p, ap, cols)
		for c := range cols {
			step[c] = 0
			if rr[c] > 0 {
				step[c] = rr[c] / pap[c]
			}
		}
		for i := range x {
			x[i] += step[i%cols] * p[i]
			r[i] -= step[i%cols] * ap[i]
		}
		next := columnDots(r, r, cols)
		for c := range cols {
			dir[c] = 0
			if rr[c] > 0 {
				dir[c] = next[c] / rr[c]
			} else {
				next[c] = 0
			}
		}
		for i := range p {
			p[i] = r[i] + dir[i%cols]*p[i]
		}
		rr = next
	}
}

// apply sets out = (I − αS)v, both [n × cols] row by row.
func (g *Graph) apply(v, out []float64, cols int, alpha float64) {
	parallel.Ranges(g.Len(), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := out[i*cols : (i+1)*cols]
			copy(row, v[i*cols:(i+1)*cols])
			for e := g.start[i]; e < g.start[i+1]; e++ {
				w, vj := alpha*g.s[e], v[g.col[e]*cols:(g.col[e]+1)*cols]
				for c := range row {
					row[c] -= w * vj[c]
				}
			}
		}
	})
}

// columnDots returns the dot product of each column of a and b, [n ×
// cols] row by row, summed in row order.
func columnDots(a, b []float64, cols int) []float64 {
	out := make([]float64, cols)
	for i, v := range a {
		out[i%cols] += v * b[i]
	}
	return out
}

// Labels spreads the labels of the labelled codes (labelled[t] has
// label[t], any integers) over the graph with α = alpha and returns every
// code's label: the class of the largest of its scores (Scores), ties to
// the lower class. A code the labels do not reach (a component of the
// graph without labelled codes: all its scores are 0) takes the label of
// the labelled code nearest it.
func (g *Graph) Labels(labelled, label []int, alpha float64) ([]int, error) {
	classes := slices.Sorted(slices.Values(label))
	classes = slices.Compact(classes)
	class := make([]int, len(label))
	for t, l := range label {
		class[t], _ = slices.BinarySearch(classes, l)
	}
	f, err := g.Scores(labelled, class, len(classes), alpha)
	if err != nil {
		return nil, err
	}
	out := argmaxRows(f, len(classes))
	var lost []int
	for i, c := range out {
		if c < 0 {
			lost = append(lost, i)
			continue
		}
		out[i] = classes[c]
	}
	if len(lost) > 0 {
		if err := g.nearestLabel(out, lost, labelled, label); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nearestLabel sets out[i], for each code i of lost, to the label of the
// labelled code nearest it.
func (g *Graph) nearestLabel(out, lost, labelled, label []int) error {
	_, dim := g.codes.Dims()
	rows := func(idx []int) *mat.Dense {
		m := mat.NewDense(len(idx), dim, nil)
		for t, i := range idx {
			m.SetRow(t, g.codes.RawRowView(i))
		}
		return m
	}
	found, err := nearestRows(rows(lost), rows(labelled), 1, false)
	if err != nil {
		return fmt.Errorf("label spreading's unreached codes: %w", err)
	}
	for t, i := range lost {
		out[i] = label[found[t][0].Index]
	}
	return nil
}

// argmaxRows returns the column of the largest value of each row of f
// ([n × cols] row by row), ties to the lower column, or −1 for a row with
// no value above 0.
func argmaxRows(f []float64, cols int) []int {
	out := make([]int, len(f)/cols)
	for i := range out {
		best := -1
		for c, v := range f[i*cols : (i+1)*cols] {
			if v > 0 && (best < 0 || v > f[i*cols+best]) {
				best = c
			}
		}
		out[i] = best
	}
	return out
}

// EvaluateSpread scores label spreading (s) on f, whose Train holds the
// rows of every training image in the split's order (d.Images index it),
// labelled and unlabelled: the graph of the training codes is built once
// and the test codes' s.K nearest training codes found once; each draw
// then spreads its labels over the graph (transductive: it sees every
// training code, never a test code) and each test image takes the vote of
// its neighbours' spread labels (inductive), ties to the nearest of them.
func EvaluateSpread(d *Draws, f Features, testLabels []int, s Spreading) (Score, error) {
	if err := s.Check(); err != nil {
		return Score{}, err
	}
	nt := len(testLabels)
	if len(d.Images) == 0 {
		return Score{}, fmt.Errorf("%s: no labelled images", f.Name)
	}
	if f.Dim < 1 || len(f.Train)%f.Dim != 0 || len(f.Test) != nt*f.Dim || len(f.Train)/f.Dim <= slices.Max(d.Images) {
		return Score{}, fmt.Errorf("%s: %d training and %d test values are not rows of %d for the %d training images the draws index and %d test images",
			f.Name, len(f.Train), len(f.Test), f.Dim, slices.Max(d.Images)+1, nt)
	}
	if nt == 0 {
		return Score{}, fmt.Errorf("%s: no test images", f.Name)
	}
	train := mat.NewDense(len(f.Train)/f.Dim, f.Dim, float64s(f.Train))
	g, err := NewGraph(train, s.K)
	if err != nil {
		return Score{}, fmt.Errorf("%s: %w", f.Name, err)
	}
	votes, err := nearestRows(mat.NewDense(nt, f.Dim, float64s(f.Test)), train, s.K, false)
	if err != nil {
		return Score{}, fmt.Errorf("%s: test codes: %w", f.Name, err)
	}
	out := Score{Features: f.Name, Classifier: s.Name()}
	for _, set := range d.Sets {
		labelled, label := make([]int, len(set)), make([]int, len(set))
		for t, p := range set {
			labelled[t], label[t] = d.Images[p], d.Labels[p]
		}
		spread, err := g.Labels(labelled, label, s.Alpha)
		if err != nil {
			return Score{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		e, _ := errorRate(nt, testLabels, func(i int) (int, error) { return vote(votes[i], spread), nil })
		out.Errors = append(out.Errors, e)
	}
	out.Mean, out.Std = meanStd(out.Errors)
	return out, nil
}
