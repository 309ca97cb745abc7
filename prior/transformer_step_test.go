package prior

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// fullCells is the sampler before the cache: the whole network
// (TransformerLogits) rerun over the grid for each cell, its logits of
// that cell kept. The reference of TransformerStep and its benchmark.
type fullCells struct {
	exec  *context.Exec
	c     TransformerConfig
	batch int
}

func newFullCells(tb testing.TB, b backends.Backend, ctx *context.Context, c TransformerConfig, batch int) *fullCells {
	tb.Helper()
	exec, err := context.NewExec(b, ctx.Reuse(), func(ctx *context.Context, codes, labels *Node) *Node {
		return TransformerLogits(ctx, c, codes, labels)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &fullCells{exec: exec, c: c, batch: batch}
}

func (f *fullCells) next(cell int, grids, labels []int32) ([]float32, error) {
	res, err := f.exec.Exec(tensors.FromFlatDataAndDimensions(grids, f.batch, f.c.Cells), tensors.FromFlatDataAndDimensions(labels, f.batch))
	if err != nil {
		return nil, err
	}
	all := tensors.MustCopyFlatData[float32](res[0])
	res[0].FinalizeAll()
	k := f.c.Codes
	out := make([]float32, f.batch*k)
	for i := range f.batch {
		copy(out[i*k:(i+1)*k], all[(i*f.c.Cells+cell)*k:])
	}
	return out, nil
}

func (f *fullCells) close() {}

// draw draws n grids through f, as Transformer.Sample does through its cache.
func (f *fullCells) draw(n int, seed int64, temperature float64, topK int, labels []int) ([]int32, error) {
	return drawGrids(f.c, f.batch, n, seed, temperature, topK, labels, func() cellLogits { return f })
}

// randomTransformer initialises a transformer of c from seed and returns
// its weights' context, the variables created by a first run.
func randomTransformer(tb testing.TB, b backends.Backend, c TransformerConfig, seed int64) *context.Context {
	tb.Helper()
	ctx := context.New()
	ctx.SetRNGStateFromSeed(seed)
	init := context.MustNewExec(b, ctx, func(ctx *context.Context, codes, labels *Node) *Node {
		return TransformerLogits(ctx, c, codes, labels)
	})
	defer init.Finalize()
	res := init.MustExec(tensors.FromFlatDataAndDimensions(make([]int32, c.Cells), 1, c.Cells), tensors.FromFlatDataAndDimensions([]int32{0}, 1))
	res[0].FinalizeAll()
	// Fresh weights make every cell's distribution nearly flat: sharpen
	// them, so that a step reading the wrong cells shows.
	for v := range ctx.IterVariables() {
		if v.Trainable {
			t := v.MustValue()
			vals := tensors.MustCopyFlatData[float32](t)
			for i := range vals {
				vals[i] *= 3
			}
			v.MustSetValue(tensors.FromFlatDataAndDimensions(vals, t.Shape().Dimensions...))
		}
	}
	return ctx
}

// TestTransformerStepMatchesNetwork: the cached step's logits of every
// cell, fed a grid cell by cell, are the whole network's for that grid
// (within float32 rounding), for a conditional and an unconditional
// prior; and grids drawn through the cache are those drawn by rerunning
// the whole network for each cell, at temperature 1 with and without
// top-k and at temperature 0.
func TestTransformerStepMatchesNetwork(t *testing.T) {
	b := testenv.XLA(t)
	for _, classes := range []int{0, 3} {
		c := TransformerConfig{Codes: 7, Cells: 6, Classes: classes, Width: 16, Layers: 2, Heads: 4}
		ctx := randomTransformer(t, b, c, 11)
		const batch = 5
		full := newFullCells(t, b, ctx, c, batch)
		s, err := NewTransformer(b, ctx, c, batch)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(classes)))
		grids, ys := make([]int32, batch*c.Cells), make([]int32, batch)
		for i := range grids {
			grids[i] = int32(rng.IntN(c.Codes))
		}
		for i := range ys {
			ys[i] = int32(rng.IntN(max(classes, 1)))
		}
		cached := &cachedCells{t: s}
		worst := 0.0
		for cell := range c.Cells {
			want, err := full.next(cell, grids, ys)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cached.next(cell, grids, ys)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
				if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-4) {
					t.Fatalf("classes %d, cell %d, grid %d, code %d: cached logit %v, the network's %v", classes, cell, i/c.Codes, i%c.Codes, got[i], want[i])
				}
			}
		}
		cached.close()
		t.Logf("classes %d: largest difference of a logit %.3g", classes, worst)
		labels := make([]int, 12)
		for i := range labels {
			labels[i] = i % max(classes, 1)
		}
		for _, tc := range []struct {
			temperature float64
			topK        int
		}{{1, 0}, {1, 3}, {0, 0}} {
			want, err := full.draw(12, 4, tc.temperature, tc.topK, labels)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Sample(12, 4, tc.temperature, tc.topK, labels)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("classes %d, temperature %v, top-k %d: cached draws\n%v\nthe network's\n%v", classes, tc.temperature, tc.topK, got, want)
			}
		}
		s.Finalize()
		full.exec.Finalize()
	}
}

// BenchmarkTransformerSample draws 64 grids of the default prior's shape
// (7×7 cells of 512 codes, width 64, 2 blocks of 4 heads; random weights)
// by rerunning the whole network for each cell (before the cache) and
// through the cache (after), interleaved within each iteration in turns,
// and reports each one's median and spread (min–max) in ms and the ratio
// of the medians. Each iteration also checks the two drew the same grids.
// Run with -benchtime 10x.
func BenchmarkTransformerSample(b *testing.B) {
	be := testenv.XLA(b)
	c := TransformerConfig{Codes: 512, Cells: 49, Width: 64, Layers: 2, Heads: 4}
	ctx := randomTransformer(b, be, c, 3)
	const n = 64
	full := newFullCells(b, be, ctx, c, n)
	defer full.exec.Finalize()
	s, err := NewTransformer(be, ctx, c, n)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Finalize()
	draw := []func(seed int64) ([]int32, error){
		func(seed int64) ([]int32, error) { return full.draw(n, seed, 1, 0, nil) },
		func(seed int64) ([]int32, error) { return s.Sample(n, seed, 1, 0, nil) },
	}
	for _, d := range draw { // compile both
		if _, err := d(0); err != nil {
			b.Fatal(err)
		}
	}
	times := [2][]float64{}
	b.ResetTimer()
	for i := range b.N {
		var grids [2][]int32
		for j := range 2 {
			k := (i + j) % 2 // alternate which goes first
			start := time.Now()
			g, err := draw[k](int64(i))
			if err != nil {
				b.Fatal(err)
			}
			times[k] = append(times[k], float64(time.Since(start))/float64(time.Millisecond))
			grids[k] = g
		}
		if !slices.Equal(grids[0], grids[1]) {
			b.Fatalf("iteration %d: the cached sampler drew other grids than the whole network", i)
		}
	}
	b.StopTimer()
	for k, name := range []string{"before", "after"} {
		slices.Sort(times[k])
		b.ReportMetric(median(times[k]), name+"_median_ms")
		b.ReportMetric(times[k][0], name+"_min_ms")
		b.ReportMetric(times[k][len(times[k])-1], name+"_max_ms")
	}
	b.ReportMetric(median(times[0])/median(times[1]), "speedup")
}

// median is the middle of sorted values (the mean of the middle two).
func median(sorted []float64) float64 {
	n := len(sorted)
	return (sorted[(n-1)/2] + sorted[n/2]) / 2
}

// TestDescendingOrder: the order drawCode takes the codes in is a stable
// sort's from the largest logit down, ties (−0 and +0 among them) by
// index, on logits with many ties, negatives and infinities.
func TestDescendingOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), -1e-30, 1e-30, math.MaxFloat32, -math.MaxFloat32}
	for trial := range 200 {
		logits := make([]float32, 1+rng.IntN(600))
		for i := range logits {
			switch rng.IntN(4) {
			case 0:
				logits[i] = float32(rng.IntN(5) - 2) // ties
			case 1:
				logits[i] = special[rng.IntN(len(special))]
			default:
				logits[i] = float32(rng.NormFloat64() * 10)
			}
		}
		want := make([]int, len(logits))
		for i := range want {
			want[i] = i
		}
		slices.SortStableFunc(want, func(a, b int) int {
			switch x, y := logits[a], logits[b]; {
			case x > y:
				return -1
			case x < y:
				return 1
			}
			return 0
		})
		if got := descendingOrder(logits); !slices.Equal(got, want) {
			t.Fatalf("trial %d, logits %v:\norder %v\nwant  %v", trial, logits, got, want)
		}
	}
}
