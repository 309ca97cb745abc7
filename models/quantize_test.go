package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/internal/testenv"
)

// The expected values of these tests are computed in plain Go, in float64,
// from the definitions (nearest code by brute force, the moving averages
// as the paper's appendix writes them, with m stored), never by reading
// the graph's intermediate values.

// f32s converts to float32.
func f32s(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// f64s converts a tensor's float32 or int32 data to float64.
func f64s(t *tensors.Tensor) []float64 {
	var out []float64
	if t.DType().IsFloat() {
		for _, v := range tensors.MustCopyFlatData[float32](t) {
			out = append(out, float64(v))
		}
		return out
	}
	for _, v := range tensors.MustCopyFlatData[int32](t) {
		out = append(out, float64(v))
	}
	return out
}

// near reports whether got is within tol·(1 + |want|) of want; false on NaN.
func near(got, want, tol float64) bool {
	d := math.Abs(got - want)
	return d <= tol*(1+math.Abs(want))
}

// goNearest returns the index of the nearest of the k codes (rows of
// codes, dimension d) to each d-vector of z, ties to the lowest index.
func goNearest(z, codes []float64, k, d int) []int {
	idx := make([]int, len(z)/d)
	for i := range idx {
		best := math.Inf(1)
		for c := 0; c < k; c++ {
			s := 0.0
			for j := 0; j < d; j++ {
				x := z[i*d+j] - codes[c*d+j]
				s += x * x
			}
			if s < best {
				best, idx[i] = s, c
			}
		}
	}
	return idx
}

// newVQContext returns a context with q's codebook set to codes and a
// fixed RNG.
func newVQContext(t *testing.T, q VQ, codes []float64) *context.Context {
	t.Helper()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	ctx.In(VQScope).VariableWithValue("codebook", tensors.FromFlatDataAndDimensions(f32s(codes), q.K, q.D))
	return ctx
}

// variable returns the values of q's variable name in ctx.
func variable(t *testing.T, ctx *context.Context, name string) []float64 {
	t.Helper()
	v := ctx.GetVariableByScopeAndName("/"+VQScope, name)
	if v == nil {
		t.Fatalf("no variable %s/%s", VQScope, name)
	}
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	return f64s(val)
}

// TestVQNearestAssignment: each vector gets its nearest code, ties go to
// the lowest index, Quantized holds the codes and Lookup gives them back;
// then against brute force on random vectors.
func TestVQNearestAssignment(t *testing.T) {
	b := testenv.XLA(t)
	q := DefaultVQ(3, 2)
	codes := []float64{1, 0, -1, 0, 0, 2}
	// (0, 0) is as near to codes 0 and 1, (−1, 1.25) to codes 1 and 2.
	z := []float64{0.9, 0.1, -2, 0, 0, 1.5, 0, 0, -1, 1.25, 5, 5}
	checkAssignment(t, b, q, codes, z, []int{2, 1, 3}, []int{0, 1, 2, 0, 1, 2})

	r := rand.New(rand.NewPCG(1, 2))
	q = DefaultVQ(7, 3)
	codes, z = make([]float64, 7*3), make([]float64, 4*5*3)
	for i := range codes {
		codes[i] = r.NormFloat64()
	}
	for i := range z {
		z[i] = 1.5 * r.NormFloat64()
	}
	checkAssignment(t, b, q, codes, z, []int{4, 5}, goNearest(z, codes, 7, 3))
}

// checkAssignment runs Quantize and Lookup on z of grid dims (plus q.D)
// and checks the indices against want and the vectors against the codes.
func checkAssignment(t *testing.T, b backends.Backend, q VQ, codes, z []float64, grid []int, want []int) {
	t.Helper()
	ctx := newVQContext(t, q, codes)
	exec := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, z *Node) []*Node {
		out := q.Quantize(ctx, z)
		return []*Node{out.Indices, out.Quantized, q.Lookup(ctx, out.Indices, z.DType())}
	})
	dims := append(append([]int{1}, grid...), q.D)
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(f32s(z), dims...))
	idx, zq, looked := f64s(out[0]), f64s(out[1]), f64s(out[2])
	for i, w := range want {
		if !(idx[i] == float64(w)) {
			t.Errorf("vector %d %v: code %v, want %d", i, z[i*q.D:(i+1)*q.D], idx[i], w)
			continue
		}
		for j := 0; j < q.D; j++ {
			c := codes[w*q.D+j]
			if !near(zq[i*q.D+j], c, 1e-6) || !near(looked[i*q.D+j], c, 1e-6) {
				t.Errorf("vector %d, channel %d: quantized %v, looked up %v, want code %d's %v",
					i, j, zq[i*q.D+j], looked[i*q.D+j], w, c)
			}
		}
	}
}

// TestVQStraightThroughAndLoss: the gradient of Σ w·Quantized with respect
// to z is w, the gradient d loss / d zq passed unchanged to the encoder;
// the commitment term is β Σ (z − e)² per example, its gradient 2β(z − e);
// the codebook gets the gradient 2 Σ (e − z) of its term with
// CodebookGradient and none with CodebookEMA.
func TestVQStraightThroughAndLoss(t *testing.T) {
	b := testenv.XLA(t)
	r := rand.New(rand.NewPCG(3, 4))
	const k, d, batch, cells = 4, 3, 2, 4 // a 2×2 grid
	codes, z, w := make([]float64, k*d), make([]float64, batch*cells*d), make([]float64, batch*cells*d)
	for i := range codes {
		codes[i] = r.NormFloat64()
	}
	for i := range z {
		z[i], w[i] = r.NormFloat64(), r.NormFloat64()
	}
	idx := goNearest(z, codes, k, d)
	for _, update := range []string{CodebookEMA, CodebookGradient} {
		t.Run(update, func(t *testing.T) {
			q := DefaultVQ(k, d)
			q.Update = update
			ctx := newVQContext(t, q, codes)
			exec := context.MustNewExec(b, ctx.Checked(false), func(ctx *context.Context, z, w *Node) []*Node {
				out := q.Quantize(ctx, z)
				e := q.CodebookVar(ctx, z.DType()).ValueGraph(z.Graph())
				through := ReduceAllSum(Mul(w, out.Quantized))
				loss := ReduceAllSum(out.Loss)
				g := Gradient(Add(through, loss), z, e)
				return []*Node{Gradient(through, z)[0], g[0], g[1], out.Commitment, out.Loss}
			})
			dims := []int{batch, 2, 2, d}
			out := exec.MustExec(tensors.FromFlatDataAndDimensions(f32s(z), dims...),
				tensors.FromFlatDataAndDimensions(f32s(w), dims...))
			checkVQGradients(t, q, codes, z, w, idx, f64s(out[0]), f64s(out[1]), f64s(out[2]))
			checkVQLosses(t, q, codes, z, idx, batch, f64s(out[3]), f64s(out[4]))
		})
	}
}

// checkVQGradients checks the gradients of TestVQStraightThroughAndLoss:
// through = d Σ w·zq / d z, total = d (Σ w·zq + Σ Loss) / d z, and codeGrad
// = d (Σ w·zq + Σ Loss) / d codebook.
func checkVQGradients(t *testing.T, q VQ, codes, z, w []float64, idx []int, through, total, codeGrad []float64) {
	t.Helper()
	wantCode := make([]float64, len(codes))
	for i, c := range idx {
		for j := 0; j < q.D; j++ {
			diff := z[i*q.D+j] - codes[c*q.D+j]
			if !near(through[i*q.D+j], w[i*q.D+j], 1e-6) {
				t.Errorf("d Σ w·zq / d z[%d,%d] = %v, want w = %v", i, j, through[i*q.D+j], w[i*q.D+j])
			}
			if want := w[i*q.D+j] + 2*q.Beta*diff; !near(total[i*q.D+j], want, 1e-5) {
				t.Errorf("d (Σ w·zq + loss) / d z[%d,%d] = %v, want w + 2β(z − e) = %v", i, j, total[i*q.D+j], want)
			}
			if q.Update == CodebookGradient {
				wantCode[c*q.D+j] -= 2 * diff
			}
		}
	}
	for i := range wantCode {
		if !near(codeGrad[i], wantCode[i], 1e-5) {
			t.Errorf("%s: d loss / d codebook[%d,%d] = %v, want %v", q.Update, i/q.D, i%q.D, codeGrad[i], wantCode[i])
		}
	}
}

// checkVQLosses checks the commitment and loss terms of each example.
func checkVQLosses(t *testing.T, q VQ, codes, z []float64, idx []int, batch int, commit, loss []float64) {
	t.Helper()
	per := len(idx) / batch
	for n := 0; n < batch; n++ {
		sq := 0.0
		for i := n * per; i < (n+1)*per; i++ {
			for j := 0; j < q.D; j++ {
				diff := z[i*q.D+j] - codes[idx[i]*q.D+j]
				sq += diff * diff
			}
		}
		want := q.Beta * sq
		if !near(commit[n], want, 1e-5) {
			t.Errorf("example %d: commitment %v, want β Σ (z − e)² = %v", n, commit[n], want)
		}
		if q.Update == CodebookGradient {
			want += sq
		}
		if !near(loss[n], want, 1e-5) {
			t.Errorf("example %d, %s: loss %v, want %v", n, q.Update, loss[n], want)
		}
	}
}

// emaState is the paper's moving-average state, with the sums m stored.
type emaState struct {
	k, d       int
	decay, eps float64
	n, m, e    []float64
}

// newEMAState starts the state from codes with cluster sizes 1, the sums
// m = e·Ñ.
func newEMAState(codes []float64, k, d int, decay, eps float64) *emaState {
	s := &emaState{k: k, d: d, decay: decay, eps: eps, n: make([]float64, k), m: make([]float64, k*d)}
	for c := range s.n {
		s.n[c] = 1
	}
	s.e = append([]float64(nil), codes...)
	sm := s.smoothed()
	for i := range s.m {
		s.m[i] = codes[i] * sm[i/d]
	}
	return s
}

// smoothed returns (N + ε) / (ΣN + Kε) · ΣN.
func (s *emaState) smoothed() []float64 {
	total := 0.0
	for _, v := range s.n {
		total += v
	}
	out := make([]float64, s.k)
	for c, v := range s.n {
		out[c] = (v + s.eps) / (total + float64(s.k)*s.eps) * total
	}
	return out
}

// step assigns z to the nearest codes, moves N and m, and sets e = m / Ñ;
// it returns the assignment.
func (s *emaState) step(z []float64) []int {
	idx := goNearest(z, s.e, s.k, s.d)
	counts, sums := make([]float64, s.k), make([]float64, s.k*s.d)
	for i, c := range idx {
		counts[c]++
		for j := 0; j < s.d; j++ {
			sums[c*s.d+j] += z[i*s.d+j]
		}
	}
	for c := range s.n {
		s.n[c] = s.decay*s.n[c] + (1-s.decay)*counts[c]
	}
	for i := range s.m {
		s.m[i] = s.decay*s.m[i] + (1-s.decay)*sums[i]
	}
	sm := s.smoothed()
	for i := range s.e {
		s.e[i] = s.m[i] / sm[i/s.d]
	}
	return idx
}

// vqStep returns an exec of one training step's quantiser part: Quantize,
// then UpdateCodebook; it returns the indices. ctx stays checked: the two
// read the codebook in one graph without creating it twice.
func vqStep(b backends.Backend, ctx *context.Context, q VQ) *context.Exec {
	return context.MustNewExec(b, ctx, func(ctx *context.Context, z *Node) *Node {
		out := q.Quantize(ctx, z)
		q.UpdateCodebook(ctx, z, out.Indices)
		return out.Indices
	})
}

// TestVQEMAUpdate: two moving-average steps on tiny batches give the
// cluster sizes and codes of the paper's recursion computed by hand (a
// large ε and a small decay, so the smoothing and the averaging show;
// code 2 is never picked).
func TestVQEMAUpdate(t *testing.T) {
	b := testenv.XLA(t)
	q := VQ{K: 3, D: 2, Beta: 0.25, Decay: 0.9, Epsilon: 0.1, Update: CodebookEMA}
	codes := []float64{0, 0, 4, 0, 0, 9}
	batches := [][]float64{
		{0.5, 0.2, -0.3, 0.1, 3.5, 0.4, 4.4, -0.2},
		{0.1, 0.1, 0.2, -0.5, 0.4, 0.3, 5, 1},
	}
	ctx := newVQContext(t, q, codes)
	exec := vqStep(b, ctx, q)
	hand := newEMAState(codes, q.K, q.D, q.Decay, q.Epsilon)
	for s, z := range batches {
		want := hand.step(z)
		got := f64s(exec.MustExec(tensors.FromFlatDataAndDimensions(f32s(z), 1, 2, 2, q.D))[0])
		for i := range want {
			if !(got[i] == float64(want[i])) {
				t.Errorf("step %d, vector %d: code %v, want %d", s, i, got[i], want[i])
			}
		}
	}
	n, e := variable(t, ctx, "cluster_size"), variable(t, ctx, "codebook")
	for c := range hand.n {
		if !near(n[c], hand.n[c], 1e-5) {
			t.Errorf("cluster size %d: %v, want %v", c, n[c], hand.n[c])
		}
	}
	for i := range hand.e {
		if !near(e[i], hand.e[i], 1e-5) {
			t.Errorf("code %d, channel %d: %v, want %v", i/q.D, i%q.D, e[i], hand.e[i])
		}
	}
}

// TestVQDeadCodeRestart: after one step in which codes 2 and 3 get no
// vector, their cluster sizes fall under the threshold and they, and only
// they, become vectors of the batch with cluster size the threshold; codes
// 0 and 1 take their moving-average update (CodebookEMA) or stay
// (CodebookGradient, no optimiser here).
func TestVQDeadCodeRestart(t *testing.T) {
	b := testenv.XLA(t)
	codes := []float64{0, 0, 10, 0, -50, -50, 60, 60}
	z := []float64{0.5, 0.5, 1, -1, 9, 1, 11, 0.5, 10, 2, -0.5, 0, 0.2, 0.3, 9.5, -1}
	for _, update := range []string{CodebookEMA, CodebookGradient} {
		t.Run(update, func(t *testing.T) {
			q := VQ{K: 4, D: 2, Beta: 0.25, Decay: 0.9, Epsilon: 1e-5, DeadThreshold: 0.95, Update: update}
			ctx := newVQContext(t, q, codes)
			vqStep(b, ctx, q).MustExec(tensors.FromFlatDataAndDimensions(f32s(z), 2, 2, 2, q.D))
			hand := newEMAState(codes, q.K, q.D, q.Decay, q.Epsilon)
			hand.step(z)
			if update == CodebookGradient {
				copy(hand.e, codes)
			}
			n, e := variable(t, ctx, "cluster_size"), variable(t, ctx, "codebook")
			for c := 0; c < 2; c++ {
				if !near(n[c], hand.n[c], 1e-5) || !near(e[2*c], hand.e[2*c], 1e-5) || !near(e[2*c+1], hand.e[2*c+1], 1e-5) {
					t.Errorf("live code %d: %v, cluster size %v; want %v, %v", c, e[2*c:2*c+2], n[c], hand.e[2*c:2*c+2], hand.n[c])
				}
			}
			for c := 2; c < 4; c++ {
				if !near(n[c], q.DeadThreshold, 1e-6) {
					t.Errorf("dead code %d: cluster size %v, want the threshold %v", c, n[c], q.DeadThreshold)
				}
				if !isBatchVector(e[2*c:2*c+2], z, q.D) {
					t.Errorf("dead code %d: %v, want one of the batch's vectors", c, e[2*c:2*c+2])
				}
			}
		})
	}
}

// isBatchVector reports whether v is one of the d-vectors of z.
func isBatchVector(v, z []float64, d int) bool {
	for i := 0; i < len(z); i += d {
		same := true
		for j := 0; j < d; j++ {
			same = same && near(v[j], z[i+j], 1e-6)
		}
		if same {
			return true
		}
	}
	return false
}

// TestVQCodeUsage: the perplexity and the fraction of codes used of known
// assignments.
func TestVQCodeUsage(t *testing.T) {
	b := testenv.XLA(t)
	const k = 4
	for _, tc := range []struct {
		indices          []int32
		perplexity, used float64
	}{
		{[]int32{0, 0, 1, 2}, math.Pow(2, 1.5), 0.75}, // p = ½, ¼, ¼, 0: H = 1.5 ln 2
		{[]int32{3, 3, 3, 3}, 1, 0.25},
		{[]int32{2, 0, 3, 1, 1, 2, 3, 0}, 4, 1},
	} {
		exec := MustNewExec(b, func(idx *Node) (*Node, *Node) { return CodeUsage(idx, k) })
		p, u := exec.MustExec2(tensors.FromFlatDataAndDimensions(tc.indices, 1, len(tc.indices)/2, 2))
		if got := f64s(p)[0]; !near(got, tc.perplexity, 1e-6) {
			t.Errorf("%v: perplexity %v, want %v", tc.indices, got, tc.perplexity)
		}
		if got := f64s(u)[0]; !near(got, tc.used, 1e-7) {
			t.Errorf("%v: codes used %v, want %v", tc.indices, got, tc.used)
		}
	}
}

// fsqLevels has odd and even level counts, 2 included.
var fsqLevels = []int{5, 4, 2, 3}

// goFSQ returns the rounded level (−h … h or −h … h−1) of channel value z
// for l levels, and the bound's derivative there, from the paper's
// definition: round(tanh(z + atanh(o/a))·a − o), a = (l − 1)(1 + 10⁻³)/2,
// o = ½ for even l.
func goFSQ(z float64, l int) (level, bound, slope float64) {
	a := float64(l-1) * 1.001 / 2
	o := 0.0
	if l%2 == 0 {
		o = 0.5
	}
	th := math.Tanh(z + math.Atanh(o/a))
	bound = th*a - o
	return math.RoundToEven(bound), bound, a * (1 - th*th)
}

// TestFSQRounding: over a sweep of inputs each channel rounds to the
// reference's level, every one of its L levels is reached and no other,
// the codes are the levels over ⌊L/2⌋, and the indices are Σ digit·basis.
func TestFSQRounding(t *testing.T) {
	b := testenv.XLA(t)
	f := FSQ{Levels: fsqLevels}
	const n = 401
	z := make([]float64, n*len(fsqLevels))
	for i := range z {
		z[i] = -8 + 16*float64(i/len(fsqLevels))/(n-1) + 0.01*float64(i%len(fsqLevels))
	}
	exec := MustNewExec(b, func(z *Node) (*Node, *Node) { return f.Quantize(z) })
	codes, indices := exec.MustExec2(tensors.FromFlatDataAndDimensions(f32s(z), n, len(fsqLevels)))
	got, idx := f64s(codes), f64s(indices)
	seen := make([]map[float64]bool, len(fsqLevels))
	for i := range seen {
		seen[i] = map[float64]bool{}
	}
	for v := 0; v < n; v++ {
		wantIdx, basis := 0.0, 1.0
		for c, l := range fsqLevels {
			level, bound, _ := goFSQ(z[v*len(fsqLevels)+c], l)
			h := float64(l / 2)
			if math.Abs(bound-math.Floor(bound)-0.5) > 1e-4 { // float32 may round a near-half either way
				if g := got[v*len(fsqLevels)+c]; !near(g, level/h, 1e-6) {
					t.Errorf("z = %v, L = %d: code %v, want level %v / %v", z[v*len(fsqLevels)+c], l, g, level, h)
				}
			}
			seen[c][math.Round(got[v*len(fsqLevels)+c]*h)] = true
			wantIdx += (math.Round(got[v*len(fsqLevels)+c]*h) + h) * basis
			basis *= float64(l)
		}
		if !(idx[v] == wantIdx) {
			t.Errorf("vector %d: index %v, want %v from its codes", v, idx[v], wantIdx)
		}
	}
	checkLevelsSeen(t, seen)
}

// checkLevelsSeen checks that channel c's levels (codes times ⌊L/2⌋) were
// exactly −h … h for odd L, −h … h−1 for even L.
func checkLevelsSeen(t *testing.T, seen []map[float64]bool) {
	t.Helper()
	for c, l := range fsqLevels {
		h := l / 2
		top := h
		if l%2 == 0 {
			top = h - 1
		}
		want := map[float64]bool{}
		for v := -h; v <= top; v++ {
			want[float64(v)] = true
		}
		if len(seen[c]) != len(want) {
			t.Errorf("L = %d: levels %v, want %v", l, seen[c], want)
			continue
		}
		for v := range seen[c] {
			if !want[v] {
				t.Errorf("L = %d: levels %v, want %v", l, seen[c], want)
				break
			}
		}
	}
}

// TestFSQIndexRoundTrip: over all ∏L indices, Codes gives the index's
// mixed-radix digits d (channel 0 fastest) as (d − ⌊L/2⌋) / ⌊L/2⌋, and
// Indices takes each back to its index.
func TestFSQIndexRoundTrip(t *testing.T) {
	b := testenv.XLA(t)
	f := FSQ{Levels: fsqLevels}
	size := f.Size()
	if size != 5*4*2*3 {
		t.Fatalf("size %d, want %d", size, 5*4*2*3)
	}
	all := make([]int32, size)
	for i := range all {
		all[i] = int32(i)
	}
	exec := MustNewExec(b, func(idx *Node) (*Node, *Node) {
		codes := f.Codes(idx, dtypes.Float32)
		return codes, f.Indices(codes)
	})
	codes, back := exec.MustExec2(tensors.FromFlatDataAndDimensions(all, 2, size/2))
	c, r := f64s(codes), f64s(back)
	for i := range all {
		if !(r[i] == float64(i)) {
			t.Errorf("index %d: back as %v", i, r[i])
		}
		rest := i
		for ch, l := range fsqLevels {
			h := float64(l / 2)
			want := (float64(rest%l) - h) / h
			rest /= l
			if !near(c[i*len(fsqLevels)+ch], want, 1e-7) {
				t.Errorf("index %d, channel %d: code %v, want %v", i, ch, c[i*len(fsqLevels)+ch], want)
			}
		}
	}
}

// TestFSQStraightThrough: the gradient of Σ w·codes with respect to z is
// w times the bound's derivative over ⌊L/2⌋: the rounding passes it as 1.
func TestFSQStraightThrough(t *testing.T) {
	b := testenv.XLA(t)
	f := FSQ{Levels: fsqLevels}
	r := rand.New(rand.NewPCG(7, 8))
	z, w := make([]float64, 6*len(fsqLevels)), make([]float64, 6*len(fsqLevels))
	for i := range z {
		z[i], w[i] = 1.5*r.NormFloat64(), r.NormFloat64()
	}
	exec := MustNewExec(b, func(z, w *Node) *Node {
		codes, _ := f.Quantize(z)
		return Gradient(ReduceAllSum(Mul(w, codes)), z)[0]
	})
	dims := []int{2, 3, len(fsqLevels)}
	grad := f64s(exec.MustExec(tensors.FromFlatDataAndDimensions(f32s(z), dims...),
		tensors.FromFlatDataAndDimensions(f32s(w), dims...))[0])
	for i := range z {
		l := fsqLevels[i%len(fsqLevels)]
		_, _, slope := goFSQ(z[i], l)
		if want := w[i] * slope / float64(l/2); !near(grad[i], want, 1e-5) {
			t.Errorf("z = %v, L = %d: gradient %v, want %v", z[i], l, grad[i], want)
		}
	}
}

// TestQuantizerValidate: settings out of range, NaN included, are refused.
func TestQuantizerValidate(t *testing.T) {
	if err := DefaultVQ(512, 64).Validate(); err != nil {
		t.Errorf("default VQ: %v", err)
	}
	for name, modify := range map[string]func(q *VQ){
		"no codes":     func(q *VQ) { q.K = 0 },
		"NaN β":        func(q *VQ) { q.Beta = math.NaN() },
		"decay 1":      func(q *VQ) { q.Decay = 1 },
		"ε 0":          func(q *VQ) { q.Epsilon = 0 },
		"threshold −1": func(q *VQ) { q.DeadThreshold = -1 },
		"update adam":  func(q *VQ) { q.Update = "adam" },
	} {
		q := DefaultVQ(8, 2)
		modify(&q)
		if q.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (FSQ{Levels: []int{8, 5, 5, 5}}).Validate(); err != nil {
		t.Errorf("FSQ [8 5 5 5]: %v", err)
	}
	for _, levels := range [][]int{nil, {5, 1}, {1 << 16, 1 << 16}} {
		if (FSQ{Levels: levels}).Validate() == nil {
			t.Errorf("FSQ %v: accepted", levels)
		}
	}
}

// TestVQGradientStepThenRestart: with CodebookGradient, a step of SGD on
// the quantiser's loss, then UpdateCodebook, moves each live code by
// −lr·2Σ(e − z) over its vectors and re-seeds the dead ones: the
// optimiser saw the codebook the loss read.
func TestVQGradientStepThenRestart(t *testing.T) {
	b := testenv.XLA(t)
	codes := []float64{0, 0, 10, 0, -50, -50, 60, 60}
	z := []float64{0.5, 0.5, 1, -1, 9, 1, 11, 0.5, 10, 2, -0.5, 0, 0.2, 0.3, 9.5, -1}
	q := VQ{K: 4, D: 2, Beta: 0.25, Decay: 0.9, Epsilon: 1e-5, DeadThreshold: 0.95, Update: CodebookGradient}
	const lr = 0.1
	ctx := newVQContext(t, q, codes)
	sgd := optimizers.StochasticGradientDescent().WithLearningRate(lr).WithDecay(false).Done()
	exec := context.MustNewExec(b, ctx.Checked(false), func(ctx *context.Context, z *Node) *Node {
		out := q.Quantize(ctx, z)
		sgd.UpdateGraph(ctx, z.Graph(), ReduceAllSum(out.Loss))
		q.UpdateCodebook(ctx, z, out.Indices)
		return out.Indices
	})
	exec.MustExec(tensors.FromFlatDataAndDimensions(f32s(z), 2, 2, 2, q.D))
	want := append([]float64(nil), codes...)
	for i, c := range goNearest(z, codes, q.K, q.D) {
		for j := 0; j < q.D; j++ {
			want[c*q.D+j] -= lr * 2 * (codes[c*q.D+j] - z[i*q.D+j])
		}
	}
	e := variable(t, ctx, "codebook")
	for i := 0; i < 2*q.D; i++ {
		if !near(e[i], want[i], 1e-5) {
			t.Errorf("live code %d, channel %d: %v, want %v after the SGD step", i/q.D, i%q.D, e[i], want[i])
		}
	}
	for c := 2; c < 4; c++ {
		if !isBatchVector(e[2*c:2*c+2], z, q.D) {
			t.Errorf("dead code %d: %v, want one of the batch's vectors", c, e[2*c:2*c+2])
		}
	}
}
