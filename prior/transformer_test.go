package prior

import (
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/testenv"
)

// TestGridLogProbSumsToOne: over all 9 grids of a 2×1 grid with K = 3,
// the exact probabilities from freshly initialised weights sum to 1, for
// each label of a conditional prior too, and differ between grids (a
// network that read later cells, or ignored earlier ones, would break the
// first or the second).
func TestGridLogProbSumsToOne(t *testing.T) {
	b := testenv.XLA(t)
	for _, classes := range []int{0, 2} {
		c := TransformerConfig{Codes: 3, Cells: 2, Classes: classes, Width: 8, Layers: 2, Heads: 2}
		ctx := context.New()
		ctx.SetRNGStateFromSeed(5)
		exec := context.MustNewExec(b, ctx, func(ctx *context.Context, codes, labels *Node) *Node {
			return GridLogProb(ctx, c, codes, labels)
		})
		var grids []int32
		for a := range int32(3) {
			for b := range int32(3) {
				grids = append(grids, a, b)
			}
		}
		for label := range max(classes, 1) {
			ys := make([]int32, 9)
			for i := range ys {
				ys[i] = int32(label)
			}
			res := exec.MustExec(tensors.FromFlatDataAndDimensions(grids, 9, 2), tensors.FromFlatDataAndDimensions(ys, 9))
			logp := tensors.MustCopyFlatData[float32](res[0])
			var sum float64
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, l := range logp {
				p := math.Exp(float64(l))
				sum += p
				lo, hi = min(lo, p), max(hi, p)
			}
			if !(math.Abs(sum-1) <= 1e-5) {
				t.Errorf("classes %d, label %d: the 9 grids' probabilities sum to %v, want 1", classes, label, sum)
			}
			if !(hi-lo > 1e-4) {
				t.Errorf("classes %d, label %d: every grid has probability %v to %v, want them to differ", classes, label, lo, hi)
			}
		}
	}
}

// TestTransformerLearnsAndSamples fits the prior to grids of 4 cells whose
// first cell is uniform over K = 5 codes and each next cell is the one
// before plus one (mod K), or minus one for label 1: the fitted loss nears
// the data's entropy, log(5)/4 nats per cell, and samples follow the rule;
// at temperature 0 each sample is the most likely grid of its first cell.
func TestTransformerLearnsAndSamples(t *testing.T) {
	b := testenv.XLA(t)
	c := TransformerConfig{Codes: 5, Cells: 4, Classes: 2, Width: 32, Layers: 2, Heads: 4}
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	adam := optimizers.Adam().LearningRate(3e-3).Done()
	step := context.MustNewExec(b, ctx, func(ctx *context.Context, codes, labels *Node) *Node {
		loss := GridLoss(ctx, c, codes, labels)
		adam.UpdateGraph(ctx, codes.Graph(), loss)
		return loss
	})
	rng := rand.New(rand.NewPCG(2, 3))
	const batch = 64
	var loss float64
	for range 400 {
		grids, ys := make([]int32, batch*c.Cells), make([]int32, batch)
		for i := range batch {
			ys[i] = int32(rng.IntN(2))
			fillRule(grids[i*c.Cells:(i+1)*c.Cells], int32(rng.IntN(c.Codes)), ys[i], c.Codes)
		}
		res := step.MustExec(tensors.FromFlatDataAndDimensions(grids, batch, c.Cells), tensors.FromFlatDataAndDimensions(ys, batch))
		loss = float64(tensors.MustCopyFlatData[float32](res[0])[0])
	}
	if want := math.Log(5) / 4; !(loss <= want+0.05) {
		t.Errorf("loss after fitting %.4f nats per cell, want near the entropy %.4f", loss, want)
	}
	s, err := NewTransformer(b, ctx, c, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Finalize()
	labels := make([]int, 40)
	for i := range labels {
		labels[i] = i % 2
	}
	for _, temp := range []float64{1, 0} {
		grids, err := s.Sample(40, 7, temp, 3, labels)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i := range 40 {
			g := grids[i*c.Cells : (i+1)*c.Cells]
			want := make([]int32, c.Cells)
			fillRule(want, g[0], int32(labels[i]), c.Codes)
			for j := range g {
				if g[j] != want[j] {
					bad++
					break
				}
			}
		}
		if bad > 2 {
			t.Errorf("temperature %v: %d of 40 samples break the rule", temp, bad)
		}
	}
	a, _ := s.Sample(40, 7, 1, 0, labels)
	short, _ := s.Sample(20, 7, 1, 0, labels[:20])
	for i := range short {
		if a[i] != short[i] {
			t.Fatalf("grid %d differs when drawing 20 instead of 40 with the same seed", i/c.Cells)
		}
	}
}

// fillRule writes the grid starting at first whose cells step by +1 (label
// 0) or −1 (label 1) modulo k.
func fillRule(grid []int32, first, label int32, k int) {
	d := int32(1)
	if label == 1 {
		d = int32(k - 1)
	}
	grid[0] = first
	for j := 1; j < len(grid); j++ {
		grid[j] = (grid[j-1] + d) % int32(k)
	}
}

// TestDrawCode: temperature 0 and top-k 1 take the most likely code;
// top-k 2 never draws a third; at temperature 1 the frequencies follow
// the softmax.
func TestDrawCode(t *testing.T) {
	logits := []float32{0, 2, 1, -1}
	rng := rand.New(rand.NewPCG(1, 1))
	if got := drawCode(rng, logits, 0, 0); got != 1 {
		t.Errorf("temperature 0: code %d, want 1", got)
	}
	counts := make([]float64, 4)
	const n = 20000
	for range n {
		if got := drawCode(rng, logits, 1, 1); got != 1 {
			t.Fatalf("top-k 1: code %d, want 1", got)
		}
		if got := drawCode(rng, logits, 1, 2); got != 1 && got != 2 {
			t.Fatalf("top-k 2: code %d, want 1 or 2", got)
		}
		counts[drawCode(rng, logits, 1, 0)]++
	}
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l))
	}
	for i, l := range logits {
		want := math.Exp(float64(l)) / z
		if got := counts[i] / n; !(math.Abs(got-want) <= 0.015) {
			t.Errorf("code %d drawn with frequency %.4f, want %.4f", i, got, want)
		}
	}
}

// TestFitTransformer fits a tiny transformer prior through fitNetwork to
// grids of the +1/−1 rule by label: a fit interrupted at step 100 and
// resumed ends with the weights of an uninterrupted one, metrics.csv has
// a held-out loss per 50 steps, falling below the uniform prior's log K
// nats per cell; the saved prior opens as a Sampler whose top-k 1 draws
// are its temperature-0 draws, and its exact probabilities of all 625
// grids of a label sum to 1; a code that is no index is refused.
func TestFitTransformer(t *testing.T) {
	b := testenv.XLA(t)
	const k, cells = 5, 4
	rng := rand.New(rand.NewPCG(4, 5))
	grids := func(n int) Codes {
		c := Codes{Z: make([]float64, n*cells), Labels: make([]int, n)}
		g := make([]int32, cells)
		for i := range n {
			c.Labels[i] = rng.IntN(2)
			fillRule(g, int32(rng.IntN(k)), int32(c.Labels[i]), k)
			for j, v := range g {
				c.Z[i*cells+j] = float64(v)
			}
		}
		return c
	}
	training, heldOut := grids(500), grids(100)
	fit := func(dir string, resume bool, stopAt int64) error {
		r := TransformerRecipe{Width: 16, Layers: 1, Heads: 2, Steps: 200, BatchSize: 32, LR: 3e-3, EMA: 0.9}
		cfg := Config{Kind: KindTransformer, Latent: cells, Codes: k, Classes: 2, Seed: 1, Transformer: &r}
		stop := make(chan struct{})
		opt := FitOptions{Resume: resume, SaveEvery: 50, EvalEvery: 50, Stop: stop, Progress: func(done, _ int64, _ float64) {
			if done == stopAt {
				close(stop)
			}
		}}
		return FitTransformer(b.Backend, dir, cfg, training, heldOut, opt)
	}
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	if err := fit(whole, false, -1); err != nil {
		t.Fatal(err)
	}
	var stopped *InterruptedError
	if err := fit(cut, false, 100); !errors.As(err, &stopped) || stopped.Done != 100 {
		t.Fatalf("stopped after step 100: %v; want interrupted at step 100", err)
	}
	if err := fit(cut, true, -1); err != nil {
		t.Fatal(err)
	}
	a, _, errA := checkpoints.Latest(whole)
	c, _, errC := checkpoints.Latest(cut)
	if errA != nil || errC != nil || a.Step != 200 || c.Step != 200 || len(a.Vars) != len(c.Vars) {
		t.Fatalf("latest checkpoints: %v %v", errA, errC)
	}
	for i, v := range a.Vars {
		x, y := flat(t, v), flat(t, c.Vars[i])
		for j := range x {
			if !(math.Abs(x[j]-y[j]) <= 1e-6*(1+math.Abs(x[j]))) {
				t.Fatalf("variable %s/%s[%d]: %g uninterrupted, %g interrupted and resumed", v.Scope, v.Name, j, x[j], y[j])
			}
		}
	}
	raw, err := os.ReadFile(filepath.Join(whole, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	last := strings.Split(lines[len(lines)-1], ",")
	held, err := strconv.ParseFloat(last[len(last)-1], 64)
	if len(lines) != 5 || err != nil || !(held < 0.8*math.Log(k)) {
		t.Errorf("metrics.csv %q: want 4 rows, the last held-out loss below 0.8·log %d = %.3f nats per cell", lines, k, 0.8*math.Log(k))
	}

	saved, err := readDir(whole, KindTransformer)
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Config.Describe(); got != "transformer (width 16, 1 layers, 2 heads, 200 steps)" {
		t.Errorf("Describe() = %q", got)
	}
	labels := make([]int, 20)
	for i := range labels {
		labels[i] = i % 2
	}
	draw := func(topK int, temperature float64) []float32 {
		s, err := saved.Open(b.Backend, OpenOptions{Batch: 8, TopK: topK})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		z, err := s.Sample(20, 3, temperature, labels)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	greedy, top1, free := draw(0, 0), draw(1, 1), draw(0, 1)
	if !slices.Equal(greedy, top1) {
		t.Errorf("top-k 1 at temperature 1 drew %v, want the temperature-0 draws %v", top1, greedy)
	}
	if slices.Equal(free, greedy) && !slices.ContainsFunc(free, func(v float32) bool { return v < 0 || v >= k || v != float32(int(v)) }) {
		t.Logf("every free draw is the greedy one (possible for a sharp prior)")
	}
	for i, v := range free {
		if !(v >= 0 && v < k) || v != float32(int(v)) {
			t.Fatalf("draw %d: %v is no index of %d codes", i, v, k)
		}
	}

	var all []float32
	for g := range k * k * k * k {
		for j, d := 0, g; j < cells; j, d = j+1, d/k {
			all = append(all, float32(d%k))
		}
	}
	for label := range 2 {
		ys := make([]int, len(all)/cells)
		for i := range ys {
			ys[i] = label
		}
		logp, err := saved.LogProb(b.Backend, all, ys)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, l := range logp {
			sum += math.Exp(l)
		}
		if !(math.Abs(sum-1) <= 1e-4) {
			t.Errorf("label %d: the probabilities of all %d grids sum to %v, want 1", label, len(logp), sum)
		}
	}
	if _, err := saved.LogProb(b.Backend, []float32{0, 1, 5, 2}, []int{0}); err == nil || !strings.Contains(err.Error(), "5 is no index of a codebook of 5 codes") {
		t.Errorf("a code out of the codebook: %v; want it refused", err)
	}
	if got, want := UniformLogProb(49, 512), -49*math.Log(512); !(math.Abs(got-want) <= 1e-9) {
		t.Errorf("UniformLogProb(49, 512) = %v, want %v", got, want)
	}
}

// TestTransformerKindFitsThroughItsRecipe fits the transformer kind as
// `latent prior fit --kind transformer` does: its flags' recipe, a
// workspace, Ready, Fit and Commit; then resumes it to more steps. A run
// without a codebook and a resume to no more steps are refused by Ready.
func TestTransformerKindFitsThroughItsRecipe(t *testing.T) {
	b := testenv.XLA(t)
	runDir := t.TempDir()
	const k, cells = 5, 4
	rng := rand.New(rand.NewPCG(6, 7))
	codes := Codes{Z: make([]float64, 200*cells)}
	g := make([]int32, cells)
	for i := range 200 {
		fillRule(g, int32(rng.IntN(k)), 0, k)
		for j, v := range g {
			codes.Z[i*cells+j] = float64(v)
		}
	}
	fit := func(steps string, resume bool) (string, error) {
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		kinds := DefineFitFlags(fs)
		args := []string{"-steps", steps, "-width", "16", "-layers", "1", "-heads", "2", "-batch", "16"}
		if resume {
			args = append(args, "-resume")
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		recipe := kinds.Recipes[KindTransformer]
		if err := recipe.Check(); err != nil {
			t.Fatal(err)
		}
		w, err := Begin(runDir, KindTransformer, recipe.Resume())
		if err != nil {
			t.Fatal(err)
		}
		defer w.Release()
		cfg := Config{Kind: KindTransformer, Latent: cells, Codes: k, Seed: 1, Draws: 1}
		if err := recipe.Ready(w, Config{Kind: KindTransformer, Latent: cells}, nil); err == nil || !strings.Contains(err.Error(), "needs a grid of indices into a codebook") {
			t.Errorf("Ready without a codebook: %v; want a refusal", err)
		}
		if err := recipe.Ready(w, cfg, nil); err != nil {
			w.Abandon()
			return "", err
		}
		report, err := recipe.Fit(Job{Backend: b.Backend, Workspace: w, Config: cfg, Training: codes, HeldOut: codes, Start: time.Now()})
		if err != nil {
			w.Abandon()
			return "", err
		}
		return report, w.Commit()
	}
	report, err := fit("60", false)
	if err != nil || !strings.Contains(report, "fitted a transformer prior (width 16, 1 layers, 2 heads, 60 steps) to 200 grids of 5 codes") {
		t.Fatalf("fit: %q, %v", report, err)
	}
	if _, err := fit("60", true); err == nil || !strings.Contains(err.Error(), "has done 60 steps already") {
		t.Errorf("a resume to the steps done: %v; want it refused", err)
	}
	report, err = fit("80", true)
	if err != nil || !strings.Contains(report, "80 steps, resumed at step 60") {
		t.Fatalf("resumed fit: %q, %v", report, err)
	}
	saved, err := Read(runDir, KindTransformer)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Ckpt.Step != 80 || !slices.Contains(Available(runDir), KindTransformer) {
		t.Fatalf("the fitted prior: step %d, priors %v; want step 80, the transformer available", saved.Ckpt.Step, Available(runDir))
	}
}

// TestCheckAttentionLayout: a transformer prior saved with
// layers.MultiHeadAttention's variables is refused with advice to refit,
// naming the file; today's layout passes.
func TestCheckAttentionLayout(t *testing.T) {
	tests := []struct {
		name  string
		scope string
		ok    bool
	}{
		{"today's", "/transformer/block0/attention/query/conv", true},
		{"layers.MultiHeadAttention's", "/transformer/block0/attention/MultiHeadAttention/query/dense", false},
	}
	for _, tc := range tests {
		ck := &checkpoints.Checkpoint{Path: "p/ckpt.latent", Vars: []checkpoints.Var{{Scope: "/transformer/embed", Name: "tokens"}, {Scope: tc.scope, Name: "weights"}}}
		err := checkAttentionLayout(ck)
		if tc.ok != (err == nil) {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !(strings.Contains(err.Error(), "p/ckpt.latent") && strings.Contains(err.Error(), "fit it again")) {
			t.Errorf("%s: error %q names neither the file nor the remedy", tc.name, err)
		}
	}
}
