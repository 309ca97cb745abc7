package vae

import (
	"errors"
	"flag"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
)

// TestChecks: each check passes the values at its bounds and refuses
// those beyond them with an *ArgError naming the flag.
func TestChecks(t *testing.T) {
	traverse := TraverseOptions{Base: TraverseBase{Prior: "auto", PriorSteps: 50, Temperature: 1}, Steps: 9, Span: 3, Order: OrderKL, Scale: 3}
	with := func(f func(o *TraverseOptions)) error { o := traverse; f(&o); return o.Check() }
	interp := InterpolateOptions{Ends: Endpoints{Prior: "auto", PriorSteps: 50, Temperature: 1}, Frames: 16, Pairs: 1, Scale: 3}
	sample := SampleOptions{Prior: "auto", PriorSteps: 50, N: 64, Temperature: 1, PerLabel: 8, Scale: 3}
	withSample := func(f func(o *SampleOptions)) error { o := sample; f(&o); return o.Check() }
	withInterp := func(f func(o *InterpolateOptions)) error { o := interp; f(&o); return o.Check() }
	kindErr := func(cfg prior.Config) error { _, err := FitKind(cfg); return err }
	given := func(names ...string) map[string]bool {
		set := map[string]bool{}
		for _, n := range names {
			set[n] = true
		}
		return set
	}
	ends := func(names ...string) error { var e Endpoints; return e.Choose(given(names...)) }
	base := func(names ...string) error { var b TraverseBase; return b.Choose(given(names...)) }
	fitFlags := func(kind string, names ...string) error {
		_, _, err := PrepareFitFlags(prior.DefineFitFlags(flag.NewFlagSet("", flag.ContinueOnError)), prior.Config{Kind: kind, DrawTemperature: 1}, given(names...))
		return err
	}
	tests := []struct {
		name string
		err  error
		want string // "": no error
	}{
		{"scale 1", CheckScale(1), ""},
		{"scale 64", CheckScale(64), ""},
		{"scale 0", CheckScale(0), "--scale 0: want 1 to 64"},
		{"scale 65", CheckScale(65), "--scale 65: want 1 to 64"},
		{"count max", CheckCount("-n", MaxImages), ""},
		{"count 0", CheckCount("-n", 0), "-n 0: want 1 to 65536"},
		{"count over", CheckCount("-k", MaxImages+1), "-k 65537: want 1 to 65536"},
		{"temperature 0", CheckTemperature(0), ""},
		{"temperature NaN", CheckTemperature(math.NaN()), "--temperature NaN: want ≥ 0"},
		{"temperature negative", CheckTemperature(-0.5), "--temperature -0.5: want ≥ 0"},
		{"temperature chosen", CheckTemperature(prior.ChosenTemperature), ""},
		{"temperature huge", CheckTemperature(1e39), "want at most 3.4e+38"},
		{"grid at limit", CheckGridSize(1, 1<<14, 1<<14, 1, "-n"), ""},
		{"grid over", CheckGridSize(2, 1<<14, 1<<14, 1, "-n and --scale"), "-n and --scale: 2 images of 16384x16384 pixels"},
		{"prior", CheckPrior("normal", 1), ""},
		{"prior unknown", CheckPrior("nope", 50), `--prior "nope": want`},
		{"prior steps", CheckPrior("auto", MaxPriorSteps+1), "--prior-steps 10001: want 1 to 10000"},
		{"fps", CheckFPS(0), "--fps 0: want 1 to 100"},
		{"fit", kindErr(prior.Config{Kind: "gmm", DrawTemperature: 1}), ""},
		{"fit no kind", kindErr(prior.Config{DrawTemperature: 1}), "--kind: the prior to fit is required"},
		{"fit kind", kindErr(prior.Config{Kind: "vq", DrawTemperature: 1}), `--kind "vq": want`},
		{"fit draws", kindErr(prior.Config{Kind: "gmm", Draws: -1, DrawTemperature: 1}), "--draws -1: want ≥ 1"},
		{"fit draw temperature", kindErr(prior.Config{Kind: "gmm", DrawTemperature: 1.5}), "--draw-temperature 1.5: want a value in [0, 1]"},
		{"anomaly", AnomalyOptions{K: 4096, Samples: 1000, Scale: 1}.Check(), ""},
		{"anomaly k", AnomalyOptions{K: 4097, Samples: 1, Scale: 1}.Check(), "-k 4097: want 1 to 4096"},
		{"anomaly samples", AnomalyOptions{K: 1, Samples: 0, Scale: 1}.Check(), "--samples 0: want 1 to 1000"},
		{"anomaly scale", AnomalyOptions{K: 1, Samples: 1}.Check(), "--scale 0"},
		{"neighbors", NeighborOptions{K: 256, Among: "test", Scale: 1}.Check(), ""},
		{"neighbors index", NeighborOptions{Index: -1, K: 1, Among: "train", Scale: 1}.Check(), "--index -1: want ≥ 0"},
		{"neighbors which", NeighborOptions{Which: -1, K: 1, Among: "train", Scale: 1}.Check(), "--which -1: want ≥ 0"},
		{"neighbors k", NeighborOptions{K: 257, Among: "train", Scale: 1}.Check(), "-k 257: want 1 to 256"},
		{"neighbors among", NeighborOptions{K: 1, Among: "val", Scale: 1}.Check(), `--among "val": want train or test`},
		{"neighbors scale", NeighborOptions{K: 1, Among: "train", Scale: 99}.Check(), "--scale 99"},
		{"reconstruct", ReconOptions{N: 1, Scale: 1}.Check(), ""},
		{"reconstruct n", ReconOptions{N: MaxImages + 1, Scale: 1}.Check(), "-n 65537: want 1 to 65536"},
		{"reconstruct scale", ReconOptions{N: 1}.Check(), "--scale 0"},
		{"eval", EvalOptions{K: 1_000_000, Chunk: 1}.Check(), ""},
		{"eval iw", EvalOptions{K: -1, Chunk: 1}.Check(), "--iw -1: want 0 (skip) to 1000000"},
		{"eval chunk", EvalOptions{Chunk: 0}.Check(), "--chunk 0: want at least 1"},
		{"score all", ScoreOptions{Prior: AllPriors, N: 2}.Check(), ""},
		{"score n", ScoreOptions{Prior: AllPriors, N: 1}.Check(), "-n 1: want 2 to 65536 (scores need at least two samples)"},
		{"score temperature", ScoreOptions{Prior: AllPriors, N: 2, Temperature: -2}.Check(), "--temperature -2"},
		{"score prior", ScoreOptions{Prior: "nope", N: 2, Steps: 1}.Check(), `--prior "nope"`},
		{"score prior steps", ScoreOptions{Prior: "gmm", N: 2}.Check(), "--prior-steps 0"},
		{"prior score kind", CheckFitted(".", "vq"), `--kind "vq": want`},
		{"map methods", CheckMapMethod(MapMethods()[2]), ""},
		{"map method", CheckMapMethod("mds"), `--method "mds": want pca, tsne or umap`},
		{"manifold", CheckManifold(100, 64), ""},
		{"manifold n", CheckManifold(1, 1), "--manifold-n 1: want 2 to 100"},
		{"manifold scale", CheckManifold(2, 0), "--scale 0"},
		{"traverse", traverse.Check(), ""},
		{"traverse steps", with(func(o *TraverseOptions) { o.Steps = 1 }), "--steps 1: want 2 to 1000"},
		{"traverse range", with(func(o *TraverseOptions) { o.Span = math.Inf(1) }), "--range +Inf: want a finite value > 0"},
		{"traverse range NaN", with(func(o *TraverseOptions) { o.Span = math.NaN() }), "--range NaN"},
		{"traverse index", with(func(o *TraverseOptions) { o.Base.Index = -1 }), "--index -1: want ≥ 0"},
		{"traverse which", with(func(o *TraverseOptions) { o.Base.Which = -2 }), "--which -2: want ≥ 0"},
		{"traverse order", with(func(o *TraverseOptions) { o.Order = "x" }), `--order "x": want kl or dim`},
		{"traverse scale", with(func(o *TraverseOptions) { o.Scale = 0 }), "--scale 0"},
		{"traverse prior", with(func(o *TraverseOptions) { o.Base.PriorSteps = 0 }), "--prior-steps 0"},
		{"traverse temperature", with(func(o *TraverseOptions) { o.Base.Temperature = -2 }), "--temperature -2"},
		{"sample", sample.Check(), ""},
		{"sample by class", withSample(func(o *SampleOptions) { o.ByClass = true }), ""},
		{"sample n", withSample(func(o *SampleOptions) { o.N = 0 }), "-n 0: want 1 to 65536"},
		{"sample per label", withSample(func(o *SampleOptions) { o.PerLabel = 0 }), "--per-label 0: want a positive count"},
		{"sample by class and label", withSample(func(o *SampleOptions) { o.ByClass, o.Label = true, "1" }), "--per-label 8: want a positive count, without --label"},
		{"sample temperature", withSample(func(o *SampleOptions) { o.Temperature = math.NaN() }), "--temperature NaN"},
		{"sample prior", withSample(func(o *SampleOptions) { o.PriorSteps = -1 }), "--prior-steps -1"},
		{"sample scale", withSample(func(o *SampleOptions) { o.Scale = -1 }), "--scale -1"},
		{"interpolate", interp.Check(), ""},
		{"interpolate frames", withInterp(func(o *InterpolateOptions) { o.Frames = 1001 }), "--frames 1001: want 2 to 1000"},
		{"interpolate pairs", withInterp(func(o *InterpolateOptions) { o.Pairs = 0 }), "--pairs 0: want at least 1"},
		{"interpolate pairs × frames", withInterp(func(o *InterpolateOptions) { o.Pairs = MaxImages/16 + 1 }), "at most 65536 images in all"},
		{"interpolate two kinds", withInterp(func(o *InterpolateOptions) { o.Ends.Indexed, o.Ends.Files = true, true }), "choose one kind of endpoints"},
		{"interpolate which", withInterp(func(o *InterpolateOptions) { o.Ends.Which = -1 }), "--which -1: want ≥ 0"},
		{"interpolate one file", withInterp(func(o *InterpolateOptions) { o.Ends.Files, o.Ends.From = true, "a.png" }), "--from and --to go together"},
		{"interpolate file pairs", withInterp(func(o *InterpolateOptions) {
			o.Ends.Files, o.Ends.From, o.Ends.To, o.Pairs = true, "a.png", "b.png", 2
		}), "image-file endpoints make one pair"},
		{"interpolate index", withInterp(func(o *InterpolateOptions) { o.Ends.Indexed, o.Ends.ToIndex = true, -1 }), "--to-index -1: indices must be ≥ 0"},
		{"interpolate scale", withInterp(func(o *InterpolateOptions) { o.Scale = 65 }), "--scale 65"},
		{"interpolate prior", withInterp(func(o *InterpolateOptions) { o.Ends.Prior = "x" }), `--prior "x"`},
		{"ends drawn", ends("seed", "prior", "top-k"), ""},
		{"ends indexed", ends("from-index", "to-label", "which"), ""},
		{"ends files", ends("from", "to"), ""},
		{"ends two starts", ends("from-index", "from-label", "to-index"), "--from-index and --from-label both choose the start"},
		{"ends two ends", ends("from-index", "to-index", "to-label"), "--to-index and --to-label both choose the end"},
		{"ends no end", ends("from-index"), "a start (--from-index or --from-label) and an end"},
		{"ends which", ends("from-index", "to-index", "which"), "--which picks among a class's images: give --from-label"},
		{"ends seed", ends("from", "to", "seed"), "--seed chooses random endpoints"},
		{"ends prior", ends("from-index", "to-index", "top-k"), "--prior draws random endpoints"},
		{"base drawn", base("seed", "prior"), ""},
		{"base by label", base("image-label", "which"), ""},
		{"base seed and index", base("seed", "image-label"), "--seed and --index (or --image-label) choose different base codes"},
		{"base prior", base("prior-steps"), "--prior draws a --seed base code"},
		{"base index and label", base("index", "image-label"), "--index and --image-label both choose the image"},
		{"base which", base("which"), "--which picks among a class's images: give --image-label"},
		{"fit flags", fitFlags("diffusion", "steps", "seed"), ""},
		{"fit flags foreign", fitFlags("gmm", "steps"), "--steps is a diffusion or transformer prior's flag; --kind gmm does not take it"},
		{"fit flags kind", fitFlags("flow"), `--kind "flow": want`},
		{"interpolate temperature", withInterp(func(o *InterpolateOptions) { o.Ends.Temperature = math.Inf(1) }), "--temperature +Inf"},
	}
	for _, tc := range tests {
		var arg *ArgError
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("%s: %v, want no error", tc.name, tc.err)
		case tc.want != "" && (tc.err == nil || !strings.Contains(tc.err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, tc.err, tc.want)
		case tc.want != "" && !errors.As(tc.err, &arg):
			t.Errorf("%s: %T, want an *ArgError (a usage error)", tc.name, tc.err)
		}
	}
}

// TestSweep: Sweep draws the traversal its options describe, in their
// order, and refuses bad options and a grid too large before decoding.
func TestSweep(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	o := TraverseOptions{Base: TraverseBase{Seeded: true, Prior: "normal", PriorSteps: 1, Seed: 2, Temperature: 1},
		Steps: 3, Span: 2, Order: OrderDim, Scale: 1}
	tr, err := s.Sweep(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Order) != m.Latent || tr.KL != nil || tr.Order[0] != 0 || len(tr.Images) != m.Latent*3*m.Height*m.Width*m.Channels {
		t.Errorf("Sweep by dimension from a drawn code: order %v, KL %v, %d values", tr.Order, tr.KL, len(tr.Images))
	}
	if got, want := o.Describe(tr), "around a code drawn with seed 2 at temperature 1, rows by dimension"; !strings.Contains(got, want) {
		t.Errorf("Describe = %q, want it to hold %q", got, want)
	}
	o.Order, o.Base.Seeded, o.Base.Index = OrderKL, false, 1
	if tr, err = s.Sweep(o); err != nil || tr.KL == nil || tr.Index != 1 {
		t.Fatalf("Sweep by KL around test image 1: %v, KL %v, index %d", err, tr.KL, tr.Index)
	}
	if got := o.Describe(tr); !strings.Contains(got, "around test image 1's code, rows by decreasing KL") {
		t.Errorf("Describe = %q", got)
	}
	var arg *ArgError
	o.Steps, o.Scale = 1000, 64
	if _, err := s.Sweep(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--steps and --scale") {
		t.Errorf("Sweep of a grid too large: %v, want a usage error naming --steps and --scale", err)
	}
	o.Steps = 1
	if _, err := s.Sweep(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--steps 1") {
		t.Errorf("Sweep with --steps 1: %v, want the options' refusal", err)
	}
}

// TestInterpolation: Interpolation draws its options' pairs, each from
// its first endpoint to its last, and refuses a picture too large.
func TestInterpolation(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	o := InterpolateOptions{Ends: Endpoints{Indexed: true, FromIndex: 0, ToIndex: 2, Prior: "auto", PriorSteps: 1, Temperature: 1},
		Method: generate.MethodLerp, Frames: 3, Pairs: 2, Scale: 1}
	in, err := s.Interpolation(o)
	size := m.Height * m.Width * m.Channels
	if err != nil || len(in.Images) != 2*3*size {
		t.Fatalf("Interpolation: %v, want 2 pairs of 3 frames", err)
	}
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	test := set.Test
	recon, err := s.Reconstruct(append(slices.Clone(test.Image(1)), test.Image(3)...), test.Labels[1:4:4])
	if err != nil {
		t.Fatal(err)
	}
	// pair 1 runs from test image 1 to 3: its first and last frames are their reconstructions.
	if d := maxDiff(in.Images[3*size:4*size], recon[:size]) + maxDiff(in.Images[5*size:], recon[size:2*size]); !(d <= 1e-5) {
		t.Errorf("pair 1 does not run from test image 1's reconstruction to test image 3's")
	}
	if got := len(in.Animation()); got != 3 {
		t.Errorf("%d frames, want 3", got)
	}
	if b := in.Strip().Bounds(); !(b.Dx() >= 3*m.Width && b.Dx() < 4*m.Width && b.Dy() >= 2*m.Height && b.Dy() < 3*m.Height) {
		t.Errorf("strip %v, want 3 frames by 2 pairs", b)
	}
	o.Ends.Indexed, o.Frames, o.Pairs, o.Scale = false, 1000, 60, 64
	var arg *ArgError
	if _, err := s.Interpolation(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--frames, --pairs and --scale") {
		t.Errorf("Interpolation of a picture too large: %v", err)
	}
}

// maxDiff is the largest absolute difference between a and b's values.
func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestSamples: Samples draws n samples, a class's, or a conditional run's
// class grid, and refuses a class grid of a run that is not conditional.
func TestSamples(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	o := SampleOptions{Prior: "normal", PriorSteps: 1, N: 4, Seed: 5, Temperature: 1, PerLabel: 2, Scale: 1}
	r, err := s.Samples(o)
	if err != nil || r.PerClass != 0 || r.N != 4 {
		t.Fatalf("Samples: %v, %+v", err, r)
	}
	if got, want := r.Describe(1), "4 samples from the normal prior at temperature 1, "; !strings.HasPrefix(got, want) {
		t.Errorf("Describe = %q, want it to start %q", got, want)
	}
	var arg *ArgError
	o.ByClass = true
	if _, err := s.Samples(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "is not conditional") {
		t.Errorf("a class grid of an unconditional run: %v", err)
	}
	if _, _, err := s.SampleBytes(o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "is not conditional") {
		t.Errorf("SampleBytes by class of an unconditional run: %v", err)
	}
	c := open(t, tinyRunOf(t, 3), io.Discard)
	o.ByClass = false
	if r, err = c.Samples(o); err != nil || r.PerClass != 2 || r.N != 6 {
		t.Fatalf("Samples of a conditional run without a label: %v, %+v; want its class grid", err, r)
	}
	if got := r.Describe(1); !strings.HasPrefix(got, "one row per class (3), 2 samples each") {
		t.Errorf("Describe = %q", got)
	}
	o.Label = "1"
	if r, err = c.Samples(o); err != nil || r.PerClass != 0 || r.Class != c.ClassName(1) {
		t.Fatalf("Samples of class 1: %v, %+v", err, r)
	}
	pixels, _, err := c.SampleBytes(o)
	m := c.Model
	if err != nil || len(pixels) != 4*m.Height*m.Width*m.Channels {
		t.Errorf("SampleBytes: %v, %d bytes", err, len(pixels))
	}
}

// TestPrepareFit: a fit without --draws takes its kind's, and a recipe
// that its own check refuses is a usage error.
func TestPrepareFit(t *testing.T) {
	recipes := prior.DefineFitFlags(flag.NewFlagSet("", flag.ContinueOnError)).Recipes
	kind, _ := prior.Lookup("diffusion")
	cfg, err := PrepareFit(recipes["diffusion"], prior.Config{Kind: "diffusion", DrawTemperature: 1})
	if err != nil || cfg.Draws != kind.Draws || kind.Draws < 1 {
		t.Errorf("PrepareFit: %v, draws %d, want the kind's %d", err, cfg.Draws, kind.Draws)
	}
	if cfg, err = PrepareFit(recipes["diffusion"], prior.Config{Kind: "diffusion", Draws: 3}); err != nil || cfg.Draws != 3 {
		t.Errorf("PrepareFit with 3 draws: %v, draws %d", err, cfg.Draws)
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	bad := prior.DefineFitFlags(fs)
	if err := fs.Parse([]string{"--steps", "-3"}); err != nil {
		t.Fatal(err)
	}
	var arg *ArgError
	dir := t.TempDir()
	if err := CheckFitted(dir, "gmm"); err == nil || errors.As(err, &arg) || !strings.Contains(err.Error(), "has no gmm prior; fit one with") {
		t.Errorf("CheckFitted of a run without priors: %v, want a (non-usage) error saying how to fit one", err)
	}
	if _, err := PrepareFit(bad.Recipes["diffusion"], prior.Config{Kind: "diffusion"}); !errors.As(err, &arg) || !strings.Contains(err.Error(), "steps -3") {
		t.Errorf("PrepareFit of --steps -3: %v, want a usage error", err)
	}
}

// TestReconstructionAndNeighbors: the entry points of reconstruct,
// neighbors and anomaly draw what their options ask and refuse what the
// split cannot give.
func TestReconstructionAndNeighbors(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	o := ReconOptions{N: 3, First: true, Scale: 1}
	img, err := s.Reconstruction(o)
	if err != nil || !strings.HasPrefix(o.Describe(img), "3 test images (the first of the test split;") {
		t.Fatalf("Reconstruction: %v", err)
	}
	o.N = 1000
	if _, err := s.Reconstruction(o); err == nil || !strings.Contains(err.Error(), "-n 1000: the test split has only") {
		t.Errorf("Reconstruction of more images than the split has: %v", err)
	}
	set, err := s.TestSet("")
	if err != nil {
		t.Fatal(err)
	}
	r, row, err := s.FindNeighbors(set, set.Test, NeighborOptions{Index: 2, K: 3, Among: "test", Batch: 8, Scale: 1})
	if err != nil || r.Index != 2 || len(r.Found) != 3 || row.Bounds().Dx() < 4*s.Model.Width {
		t.Fatalf("FindNeighbors: %v", err)
	}
	for _, nb := range r.Found {
		if nb.Index == 2 {
			t.Errorf("the query is among its own neighbours")
		}
	}
	var b strings.Builder
	r.WriteSummary(&b, set, set.Test, "nn.png")
	if got := strings.Count(b.String(), "\n"); got != 4 {
		t.Errorf("summary of 3 neighbours has %d lines, want 4:\n%s", got, &b)
	}
	an, err := s.AnomalyReport(set, set.Test, AnomalyOptions{K: 2, Batch: 8, Samples: 1, Scale: 1})
	if err != nil || len(an.Worst) != 2 || an.Scores[an.Worst[0]] < an.Scores[an.Worst[1]] {
		t.Fatalf("AnomalyReport: %v", err)
	}
}
