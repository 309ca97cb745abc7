package vae

import (
	"fmt"
	"image"
	"io"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
)

// AnomalyOptions are what `latent anomaly` measures: each test image's
// score over Samples draws of z from Seed, in batches of Batch; with OOD,
// another data set's first Limit test images (all for 0) too; and a grid
// of the K highest scores, upscaled by Scale.
type AnomalyOptions struct {
	OOD                   string
	Limit, Batch, Samples int
	Seed                  int64
	K, Scale              int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o AnomalyOptions) Check() error {
	switch {
	case o.K < 1 || o.K > 4096:
		return argErrorf("-k %d: want 1 to 4096", o.K)
	case o.Samples < 1 || o.Samples > 1000:
		return argErrorf("--samples %d: want 1 to 1000", o.Samples)
	}
	return CheckScale(o.Scale)
}

// AnomalyReport is what `latent anomaly` reports: the scores, the most
// anomalous images (Worst, most anomalous first) and their grid.
type AnomalyReport struct {
	*Anomalies
	Worst []int
	Grid  image.Image
	set   *data.Set
	o     AnomalyOptions
}

// AnomalyReport scores test, the test split of set (ScoreAnomalies), and
// draws its o.K most anomalous images (MostAnomalous, AnomalyGrid), after
// checking o and that the grid fits in one picture.
func (s *Session) AnomalyReport(set *data.Set, test *data.Split, o AnomalyOptions) (*AnomalyReport, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	an, err := s.ScoreAnomalies(test, o.OOD, o.Limit, o.Batch, o.Samples, o.Seed)
	if err != nil {
		return nil, err
	}
	r := &AnomalyReport{Anomalies: an, Worst: MostAnomalous(an.Scores, o.K), set: set, o: o}
	m := s.Model
	if err := CheckGridSize(len(r.Worst), m.Height, m.Width, o.Scale, "-k and --scale"); err != nil {
		return nil, err
	}
	r.Grid = AnomalyGrid(set, test, an.Scores, r.Worst, o.Scale)
	return r, nil
}

// WriteSummary writes what the report holds, as `latent anomaly` says it:
// the grid written to out, the scores to csvPath when not "".
func (r *AnomalyReport) WriteSummary(w io.Writer, out, csvPath string) {
	scores, worst := r.Scores, r.Worst
	fmt.Fprintf(w, "scored %d test images of %s: mean negative ELBO %.3f nats (%d z samples each)\n",
		len(scores), r.set.Name, eval.Mean(scores), r.o.Samples)
	fmt.Fprintf(w, "wrote %s: the %d highest scores, %.3f to %.3f, most anomalous first, each captioned index:label score\n",
		out, len(worst), scores[worst[0]], scores[worst[len(worst)-1]])
	if csvPath != "" {
		fmt.Fprintf(w, "wrote %s: index,label,score for each test image, highest score (most anomalous) first\n", csvPath)
	}
	if r.OOD != nil {
		fmt.Fprintf(w, "AUROC %.4f: %s test images (%d, negatives, mean score %.3f) against %s test images (%d, positives, mean score %.3f)\n",
			r.AUROC, r.set.Name, len(scores), eval.Mean(scores), r.OODName, len(r.OOD), eval.Mean(r.OOD))
	}
}
