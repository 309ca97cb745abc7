package vae

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/probe"
)

// TestEncodeProbeChecks: the options of encode and probe refuse values out
// of range with an *ArgError naming the flag, and pass their defaults.
func TestEncodeProbeChecks(t *testing.T) {
	enc := EncodeOptions{Split: "train", Batch: 1000}
	pr := ProbeOptions{Labels: 100, Draws: 10, K: 1, Seed: 1, Batch: 1000}
	withEnc := func(f func(o *EncodeOptions)) error { o := enc; f(&o); return o.Check() }
	withProbe := func(f func(o *ProbeOptions)) error { o := pr; f(&o); return o.Check() }
	for _, tc := range []struct {
		name string
		err  error
		want string // "": no error
	}{
		{"encode defaults", enc.Check(), ""},
		{"encode test", withEnc(func(o *EncodeOptions) { o.Split = "test" }), ""},
		{"encode split", withEnc(func(o *EncodeOptions) { o.Split = "valid" }), `--split "valid": want train or test`},
		{"encode limit", withEnc(func(o *EncodeOptions) { o.Limit = -1 }), "--limit -1: want ≥ 0"},
		{"encode batch", withEnc(func(o *EncodeOptions) { o.Batch = 0 }), "--batch 0: want at least 1"},
		{"probe defaults", pr.Check(), ""},
		{"probe labels", withProbe(func(o *ProbeOptions) { o.Labels = 1 }), "--labels 1: want at least 2"},
		{"probe draws 0", withProbe(func(o *ProbeOptions) { o.Draws = 0 }), "--draws 0: want 1 to 1000"},
		{"probe draws over", withProbe(func(o *ProbeOptions) { o.Draws = 1001 }), "--draws 1001: want 1 to 1000"},
		{"probe k 0", withProbe(func(o *ProbeOptions) { o.K = 0 }), "-k 0: want at least 1"},
		{"probe k over labels", withProbe(func(o *ProbeOptions) { o.K = 101 }), "-k 101: more neighbours than the --labels 100"},
		{"probe batch", withProbe(func(o *ProbeOptions) { o.Batch = 0 }), "--batch 0: want at least 1"},
		{"probe spreading", withProbe(func(o *ProbeOptions) { o.Spread = probe.Spreading{K: 10, Alpha: 0.99} }), ""},
		{"probe spread-k", withProbe(func(o *ProbeOptions) { o.Spread = probe.Spreading{K: -1, Alpha: 0.99} }), "--spread-k -1: want at least 1, or 0"},
		{"probe spread-alpha 1", withProbe(func(o *ProbeOptions) { o.Spread = probe.Spreading{K: 10, Alpha: 1} }), "--spread-alpha 1: want it in (0, 1)"},
		{"probe spread-alpha 0", withProbe(func(o *ProbeOptions) { o.Spread = probe.Spreading{K: 10} }), "--spread-alpha 0: want it in (0, 1)"},
	} {
		var arg *ArgError
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("%s: %v, want no error", tc.name, tc.err)
		case tc.want != "" && (tc.err == nil || !errors.As(tc.err, &arg) || !strings.Contains(tc.err.Error(), tc.want)):
			t.Errorf("%s: %v, want an *ArgError saying %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestCodesArrays: a continuous latent's arrays are mean, logvar, labels
// and, with factors, factors and factor_names; a discrete one's indices
// [N, H, W] in place of mean and logvar; Main is the first.
func TestCodesArrays(t *testing.T) {
	f := &data.Factors{Names: []string{"shape", "scale"}, Sizes: []int{3, 6}, Values: []int{0, 5, 2, 1}}
	c := &Codes{N: 2, Latent: 3, Mean: make([]float32, 6), LogVar: make([]float32, 6), Labels: []int{1, 0}, Factors: f}
	names := func(c *Codes) string {
		var out []string
		for _, a := range c.Arrays() {
			dims := make([]string, len(a.Shape))
			for i, d := range a.Shape {
				dims[i] = strconv.Itoa(d)
			}
			out = append(out, a.Name+" "+a.Descr+" "+strings.Join(dims, "x"))
		}
		return strings.Join(out, ", ")
	}
	if got, want := names(c), "mean <f4 2x3, logvar <f4 2x3, labels <i8 2, factors <i8 2x2, factor_names <U5 2"; got != want {
		t.Errorf("arrays %s, want %s", got, want)
	}
	grid := &Codes{N: 2, Indices: make([]int32, 8), GridH: 2, GridW: 2, Labels: []int{1, 0}}
	if got, want := names(grid), "indices <i4 2x2x2, labels <i8 2"; got != want {
		t.Errorf("arrays %s, want %s", got, want)
	}
	if c.Main().Name != "mean" || grid.Main().Name != "indices" {
		t.Errorf("Main: %s and %s, want mean and indices", c.Main().Name, grid.Main().Name)
	}
}

// TestEncodeSplit: the codes of a split's first Limit images are the
// evaluation model's means and log-variances, with the split's labels and
// factors (as far as the limit); the training split is another.
func TestEncodeSplit(t *testing.T) {
	s := open(t, tinyRunOf(t, 3), io.Discard)
	set, err := s.DataSet("", "--data")
	if err != nil {
		t.Fatal(err)
	}
	f := &data.Factors{Names: []string{"a"}, Sizes: []int{testN}, Values: make([]int, testN)}
	for i := range f.Values {
		f.Values[i] = testN - 1 - i
	}
	set.Test.Factors = f
	c, err := s.EncodeSplit(set, EncodeOptions{Split: "test", Limit: 5, Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	sub := LimitSplit(set.Test, 5)
	m, err := s.EvalModel(1000)
	if err != nil {
		t.Fatal(err)
	}
	mean, logVar, err := m.Encode(sub.Images(), sub.Labels)
	if err != nil {
		t.Fatal(err)
	}
	if c.N != 5 || c.Latent != s.Model.Latent || !slices.Equal(c.Mean, mean) || !slices.Equal(c.LogVar, logVar) {
		t.Errorf("%d codes of %d: means equal %v, log-variances %v; want 5 of %d, equal", c.N, c.Latent,
			slices.Equal(c.Mean, mean), slices.Equal(c.LogVar, logVar), s.Model.Latent)
	}
	if !slices.Equal(c.Labels, sub.Labels) || c.Factors == nil || !slices.Equal(c.Factors.Values, f.Values[:5]) {
		t.Errorf("labels %v, factors %v; want %v and %v", c.Labels, c.Factors, sub.Labels, f.Values[:5])
	}
	tr, err := s.EncodeSplit(set, EncodeOptions{Split: "train", Batch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if tr.N != set.Train.N || tr.Factors != nil || slices.Equal(tr.Mean[:5*tr.Latent], c.Mean) {
		t.Errorf("train: %d codes (factors %v), want %d without factors and other means than the test split's", tr.N, tr.Factors, set.Train.N)
	}
}

// TestProbe: both classifiers on codes and on pixels, one error per draw;
// the pixels' scores are probe.Evaluate's on the same draws; no reference
// for a set other than MNIST; label spreading, when asked for, comes last,
// leaves the other scores as they were and is probe.EvaluateSpread's on
// every training image's code; too few labels for the classes is an
// *ArgError naming --labels, a --spread-k of every training image one
// naming --spread-k.
func TestProbe(t *testing.T) {
	s := open(t, tinyRunOf(t, 3), io.Discard)
	set, err := s.DataSet("", "--data")
	if err != nil {
		t.Fatal(err)
	}
	o := ProbeOptions{Labels: 6, Draws: 2, K: 1, Seed: 4, Batch: 1000}
	r, err := s.Probe(set, set.Test, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scores) != 4 || r.Reference != nil || r.Classes != 3 || r.Test != set.Test.N {
		t.Fatalf("%+v: want 4 scores, 3 classes, every test image, no reference", r)
	}
	for i, want := range []string{"codes " + probe.Logistic, "codes k-NN (k = 1)", "pixels " + probe.Logistic, "pixels k-NN (k = 1)"} {
		sc := r.Scores[i]
		if got := sc.Features + " " + sc.Classifier; got != want || len(sc.Errors) != 2 || !(sc.Mean >= 0 && sc.Mean <= 100) {
			t.Errorf("score %d: %s, errors %v (mean %g), want %s with 2 errors in [0, 100]", i, got, sc.Errors, sc.Mean, want)
		}
	}
	d, err := probe.Draw(set.Train.Labels, 6, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	train := set.Train.Pick(d.Images)
	pixels, err := probe.Evaluate(d, probe.Features{Name: "pixels", Dim: train.ImageSize(), Train: train.Images(), Test: set.Test.Images()}, set.Test.Labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pixels[0].Errors, r.Scores[2].Errors) || !slices.Equal(pixels[1].Errors, r.Scores[3].Errors) {
		t.Errorf("pixel errors %v %v, probe.Evaluate's %v %v", r.Scores[2].Errors, r.Scores[3].Errors, pixels[0].Errors, pixels[1].Errors)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil || !strings.Contains(text.String(), "6 labelled training images in all (2 per class of 3 classes)") ||
		strings.Contains(text.String(), "M1") {
		t.Errorf("text %q (%v): want the protocol and no reference", text.String(), err)
	}
	o.Spread = probe.Spreading{K: 3, Alpha: 0.5}
	spread, err := s.Probe(set, set.Test, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(spread.Scores) != 5 || !slices.EqualFunc(spread.Scores[:4], r.Scores, func(a, b probe.Score) bool { return slices.Equal(a.Errors, b.Errors) }) {
		t.Fatalf("with label spreading: %+v; want the 4 scores as before, then label spreading", spread.Scores)
	}
	all, err := s.EncodeSplit(set, EncodeOptions{Split: "train", Batch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.EncodeSplit(set, EncodeOptions{Split: "test", Batch: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want, err := probe.EvaluateSpread(d, probe.Features{Name: "codes", Dim: all.Latent, Train: all.Mean, Test: codes.Mean}, set.Test.Labels, o.Spread)
	if err != nil {
		t.Fatal(err)
	}
	if got := spread.Scores[4]; got.Features != "codes" || got.Classifier != "label spreading (k = 3, α = 0.5)" || !slices.Equal(got.Errors, want.Errors) {
		t.Errorf("label spreading: %+v, probe.EvaluateSpread on every training code %+v", got, want)
	}
	o.Spread.K = set.Train.N
	var arg *ArgError
	if _, err := s.Probe(set, set.Test, o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--spread-k") {
		t.Errorf("--spread-k of every training image: %v, want an *ArgError naming --spread-k", err)
	}
	o.Labels, o.Spread.K = 2, 0
	if _, err := s.Probe(set, set.Test, o); !errors.As(err, &arg) || !strings.Contains(err.Error(), "--labels 2") {
		t.Errorf("2 labels of 3 classes: %v, want an *ArgError naming --labels", err)
	}
}
