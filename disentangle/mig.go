package disentangle

import (
	"slices"
	"sort"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/latent-vae/latent/internal/parallel"
)

// Bins is the number of equal-width bins MIG discretises each code
// dimension into: discretizer.num_bins in disentanglement_lib's mig.gin.
const Bins = 20

// Discretize returns the bin, in [0, bins), of each value of x, with the
// bins of disentanglement_lib's _histogram_discretize: np.histogram's bins
// equal-width edges from min(x) to max(x) (widened by ±0.5 when they are
// equal) and np.digitize against all edges but the last, less one, so that
// the maximum falls in the last bin.
func Discretize(x []float64, bins int) []int {
	lo, hi := slices.Min(x), slices.Max(x)
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	step := (hi - lo) / float64(bins)
	edges := make([]float64, bins)
	for i := range edges {
		edges[i] = float64(float64(i)*step) + lo // as np.linspace: i·step + start, unfused
	}
	out := make([]int, len(x))
	for i, v := range x {
		out[i] = sort.Search(bins, func(e int) bool { return edges[e] > v }) - 1
	}
	return out
}

// mutualInfo returns the empirical mutual information in nats of two label
// vectors with values in [0, na) and [0, nb): sklearn's mutual_info_score,
// the Kullback-Leibler divergence of the joint from the product of the
// marginals over the cells that occur, clipped at 0.
func mutualInfo(a []int, na int, b []int, nb int) float64 {
	joint := make([]float64, na*nb)
	pa, pb := make([]float64, na), make([]float64, nb)
	w := 1 / float64(len(a))
	for i := range a {
		joint[a[i]*nb+b[i]] += w
		pa[a[i]] += w
		pb[b[i]] += w
	}
	var p, q []float64
	for c, v := range joint {
		if v > 0 {
			p = append(p, v)
			q = append(q, pa[c/nb]*pb[c%nb])
		}
	}
	return max(stat.KullbackLeibler(p, q), 0)
}

// entropy returns the empirical entropy in nats of labels in [0, n).
func entropy(labels []int, n int) float64 {
	p := make([]float64, n)
	for _, v := range labels {
		p[v] += 1 / float64(len(labels))
	}
	return stat.Entropy(p)
}

// Entropies returns each factor's empirical entropy in nats: the library's
// discrete_entropy.
func Entropies(fs Factors) []float64 {
	h := make([]float64, fs.NumFactors())
	for f := range h {
		h[f] = entropy(fs.Column(f), fs.Sizes[f])
	}
	return h
}

// MutualInfo returns the [D, F] matrix of mutual information in nats
// between each code dimension, discretised into bins bins by Discretize,
// and each factor: the library's discrete_mutual_info on
// make_discretizer's output, the matrix behind MIG and its figure.
func MutualInfo(s Set, bins int) (*mat.Dense, error) {
	if err := s.Validate(); err != nil {
		return nil, errors.Wrap(err, "mutual information")
	}
	if bins < 1 {
		return nil, errors.Errorf("mutual information with %d bins", bins)
	}
	n, d := s.Codes.Dims()
	F := s.Factors.NumFactors()
	cols := make([][]int, F)
	for f := range cols {
		cols[f] = s.Factors.Column(f)
	}
	mi := mat.NewDense(d, F, nil)
	parallel.Each(d, func(j int) {
		binned := Discretize(mat.Col(make([]float64, n), j, s.Codes), bins)
		for f := range F {
			mi.Set(j, f, mutualInfo(binned, bins, cols[f], s.Factors.Sizes[f]))
		}
	})
	return mi, nil
}
