package vae

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/probe"
)

// ProbeOptions are what `latent probe` measures: classifiers trained on
// Labels labelled training images in all, balanced across classes, drawn
// Draws times from Seed; k-NN votes among K neighbours; images are encoded
// in batches of Batch. Spread is label spreading's setting over the codes
// of every training image; a Spread.K of 0 leaves it out.
type ProbeOptions struct {
	Labels, Draws, K int
	Seed             int64
	Batch            int
	Spread           probe.Spreading
}

// MaxProbeDraws bounds --draws.
const MaxProbeDraws = 1000

// Check checks the options' values, each error an *ArgError naming its flag.
func (o ProbeOptions) Check() error {
	switch {
	case o.Labels < 2:
		return argErrorf("--labels %d: want at least 2 (one per class)", o.Labels)
	case o.Draws < 1 || o.Draws > MaxProbeDraws:
		return argErrorf("--draws %d: want 1 to %d", o.Draws, MaxProbeDraws)
	case o.K < 1:
		return argErrorf("-k %d: want at least 1", o.K)
	case o.K > o.Labels:
		return argErrorf("-k %d: more neighbours than the --labels %d labelled images", o.K, o.Labels)
	case o.Batch < 1:
		return argErrorf("--batch %d: want at least 1", o.Batch)
	case o.Spread.K < 0:
		return argErrorf("--spread-k %d: want at least 1, or 0 for no label spreading", o.Spread.K)
	case o.Spread.K > 0 && !(o.Spread.Alpha > 0 && o.Spread.Alpha < 1):
		return argErrorf("--spread-alpha %g: want it in (0, 1)", o.Spread.Alpha)
	}
	return nil
}

// ProbeResult is what `latent probe` reports: each classifier's test
// error on the codes (posterior means) and on raw pixels, with the
// published reference where there is one.
type ProbeResult struct {
	Run     string        `json:"run"`
	Data    string        `json:"data"`
	Labels  int           `json:"labels"`  // labelled training images in all, balanced across classes
	Classes int           `json:"classes"` // classes of the training split
	Draws   int           `json:"draws"`
	Seed    int64         `json:"seed"`
	Test    int           `json:"test_images"`
	Scores  []probe.Score `json:"scores"`
	// Reference is the published result of the same protocol, when there
	// is one (M1 + TSVM on MNIST with 100 labels).
	Reference *ProbeReference `json:"reference,omitempty"`
}

// ProbeReference is a published test error to compare with.
type ProbeReference struct {
	Method string  `json:"method"`
	Error  float64 `json:"error"` // percent
}

// Probe measures the run's codes with few labels (package probe): it
// draws o.Labels labelled images of set's training split o.Draws times,
// encodes them and test (the test split, as the caller limits it) to
// their posterior means, and scores both classifiers on the means and on
// the pixels; then, unless o.Spread.K is 0, label spreading on the means
// of every training image (probe.EvaluateSpread), on codes only. A
// discrete latent is refused: its codes are no vectors of reals.
func (s *Session) Probe(set *data.Set, test *data.Split, o ProbeOptions) (*ProbeResult, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	draws, err := probe.Draw(set.Train.Labels, o.Labels, o.Draws, o.Seed)
	if err != nil {
		return nil, argErrorf("--labels %d: %w", o.Labels, err)
	}
	train := set.Train.Pick(draws.Images)
	codes, err := s.probeCodes(train, test, o.Batch)
	if err != nil {
		return nil, err
	}
	pixels := probe.Features{Name: "pixels", Dim: test.ImageSize(), Train: train.Images(), Test: test.Images()}
	r := &ProbeResult{Run: s.Run.Dir, Data: set.Name, Labels: o.Labels, Classes: classCount(set.Train.Labels),
		Draws: o.Draws, Seed: o.Seed, Test: test.N}
	for _, f := range []probe.Features{codes, pixels} {
		scores, err := probe.Evaluate(draws, f, test.Labels, o.K)
		if err != nil {
			return nil, err
		}
		r.Scores = append(r.Scores, scores...)
	}
	if o.Spread.K > 0 {
		spread, err := s.probeSpread(set.Train, codes, test.Labels, draws, o)
		if err != nil {
			return nil, err
		}
		r.Scores = append(r.Scores, spread)
	}
	if set.Name == "mnist" && o.Labels == 100 {
		r.Reference = &ProbeReference{Method: "M1 + TSVM (Kingma et al. 2014)", Error: probe.M1TSVMError}
	}
	return r, nil
}

// probeCodes encodes the labelled training images and the test split to
// their posterior means (a ladder's: every layer's, top first).
func (s *Session) probeCodes(train, test *data.Split, batch int) (probe.Features, error) {
	m, err := s.EvalModel(batch)
	if err != nil {
		return probe.Features{}, err
	}
	f := probe.Features{Name: "codes", Dim: s.Model.Kind().Code().Size()}
	if f.Train, _, err = m.Encode(train.Images(), train.Labels); err != nil {
		return probe.Features{}, fmt.Errorf("encoding the labelled training images: %w", err)
	}
	if f.Test, _, err = m.Encode(test.Images(), test.Labels); err != nil {
		return probe.Features{}, fmt.Errorf("encoding the test split: %w", err)
	}
	return f, nil
}

// probeSpread scores label spreading on the codes: codes holds the test
// split's, and every training image is encoded to its posterior mean for
// the graph (the labelled ones again, so the graph's codes are of one
// encoding).
func (s *Session) probeSpread(train *data.Split, codes probe.Features, testLabels []int, draws *probe.Draws, o ProbeOptions) (probe.Score, error) {
	if o.Spread.K >= train.N {
		return probe.Score{}, argErrorf("--spread-k %d: the training split has %d images; want fewer neighbours", o.Spread.K, train.N)
	}
	m, err := s.EvalModel(o.Batch)
	if err != nil {
		return probe.Score{}, err
	}
	fmt.Fprintf(s.Log, "label spreading: encoding the %d training images, then their %d-nearest-neighbour graph\n", train.N, o.Spread.K)
	all := probe.Features{Name: codes.Name, Dim: codes.Dim, Test: codes.Test}
	if all.Train, _, err = m.Encode(train.Images(), train.Labels); err != nil {
		return probe.Score{}, fmt.Errorf("encoding the training split: %w", err)
	}
	return probe.EvaluateSpread(draws, all, testLabels, o.Spread)
}

// classCount returns the number of distinct labels.
func classCount(labels []int) int {
	seen := map[int]bool{}
	for _, l := range labels {
		seen[l] = true
	}
	return len(seen)
}

// WriteText writes the result as `latent probe` prints it: what was
// measured, then one row per representation and classifier with its mean
// test error ± its standard deviation over the draws, and the reference.
func (r *ProbeResult) WriteText(w io.Writer) error {
	per := fmt.Sprintf("%d per class", r.Labels/r.Classes)
	if r.Labels%r.Classes != 0 {
		per = fmt.Sprintf("%d or %d per class", r.Labels/r.Classes, r.Labels/r.Classes+1)
	}
	fmt.Fprintf(w, "few-label probe of %s on %s: %d labelled training images in all (%s of %d classes), "+
		"%d draws from seed %d, tested on %d test images\n", r.Run, r.Data, r.Labels, per, r.Classes, r.Draws, r.Seed, r.Test)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "features\tclassifier\ttest error (%, mean ± std over draws)")
	for _, s := range r.Scores {
		fmt.Fprintf(tw, "%s\t%s\t%.2f ± %.2f\n", s.Features, s.Classifier, s.Mean, s.Std)
	}
	if ref := r.Reference; ref != nil {
		fmt.Fprintf(tw, "reference\t%s\t%.2f\n", ref.Method, ref.Error)
	}
	return tw.Flush()
}
