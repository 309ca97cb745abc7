package score

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// realKID is the real side of KID: its subsets and, for each, the sum of
// the kernel over distinct pairs within it, which every comparison shares.
type realKID struct {
	real    Features
	subsets int
	size    int // of the real subsets; a comparison uses min(size, gen.N)
	seed    uint64
	idx     [][]int
	within  []float64 // by subset: Σ_{i≠j} k(y_i, y_j) over its first wsize vectors
	wsize   int       // the subset size within holds sums for
}

// newRealKID draws the real subsets: subsets of min(size, real.N) distinct
// vectors each.
func newRealKID(real Features, opt Options) realKID {
	k := realKID{real: real, subsets: opt.KIDSubsets, size: min(opt.KIDSubsetSize, real.N), seed: opt.Seed}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6b6964)) // "kid"
	for range k.subsets {
		k.idx = append(k.idx, sample(rng, real.N, k.size))
	}
	return k
}

// sample returns m distinct indices below n in random order (a partial
// Fisher–Yates shuffle).
func sample(rng *rand.Rand, n, m int) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := range m {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:m]
}

// genSubsets returns the generated subsets of a comparison with n vectors:
// m = min(size, n) distinct indices each, from their own seeded stream.
func (k *realKID) genSubsets(n int) [][]int {
	m := min(k.size, n)
	rng := rand.New(rand.NewPCG(k.seed, 0x67656e)) // "gen"
	out := make([][]int, k.subsets)
	for s := range out {
		out[s] = sample(rng, n, m)
	}
	return out
}

// compare returns the mean and standard deviation over the subsets of the
// unbiased squared MMD between gen and the real set, with the kernel
// k(x, y) = (x·y/D + 1)³ (as torchmetrics and clean-fid). Subsets hold
// m = min(size, gen.N) vectors of each set.
func (k *realKID) compare(gen Features) (mean, std float64) {
	gs := k.genSubsets(gen.N)
	m := len(gs[0])
	if m != k.wsize {
		k.within = make([]float64, k.subsets)
		for s, idx := range k.idx {
			y := gather(k.real, idx[:m])
			k.within[s] = withinSum(y)
		}
		k.wsize = m
	}
	mmd := make([]float64, k.subsets)
	for s, idx := range gs {
		x, y := gather(gen, idx), gather(k.real, k.idx[s][:m])
		xx := withinSum(x)
		var xy float64
		for _, v := range kernel(x, y) {
			xy += v
		}
		fm := float64(m)
		mmd[s] = (xx+k.within[s])/(fm*(fm-1)) - 2*xy/(fm*fm)
	}
	for _, v := range mmd {
		mean += v
	}
	mean /= float64(len(mmd))
	for _, v := range mmd {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(mmd)))
}

// gather returns the rows idx of f.
func gather(f Features, idx []int) Features {
	g := Features{N: len(idx), D: f.D, X: make([]float64, 0, len(idx)*f.D)}
	for _, i := range idx {
		g.X = append(g.X, f.row(i)...)
	}
	return g
}

// kernel returns the matrix (x_i·y_j/D + 1)³, row-major.
func kernel(x, y Features) []float64 {
	k := gram(x, y)
	for i, v := range k {
		v = v/float64(x.D) + 1
		k[i] = v * v * v
	}
	return k
}

// withinSum returns Σ_{i≠j} k(x_i, x_j): twice the sum over i < j, from
// the upper triangle of the Gram matrix (a symmetric rank-k update).
func withinSum(x Features) float64 {
	g := make([]float64, x.N*x.N)
	blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: x.N, Cols: x.D, Stride: x.D, Data: x.X},
		0, blas64.Symmetric{Uplo: blas.Upper, N: x.N, Stride: x.N, Data: g})
	var sum float64
	for i := range x.N {
		for _, v := range g[i*x.N+i+1 : (i+1)*x.N] {
			v = v/float64(x.D) + 1
			sum += v * v * v
		}
	}
	return 2 * sum
}

// gram returns the inner products x_i·y_j, x.N rows of y.N, row-major.
func gram(x, y Features) []float64 {
	out := make([]float64, x.N*y.N)
	blas64.Gemm(blas.NoTrans, blas.Trans, 1,
		blas64.General{Rows: x.N, Cols: x.D, Stride: x.D, Data: x.X},
		blas64.General{Rows: y.N, Cols: y.D, Stride: y.D, Data: y.X},
		0, blas64.General{Rows: x.N, Cols: y.N, Stride: y.N, Data: out})
	return out
}
