package vae

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"strconv"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
)

// Anomalies are the anomaly scores of a test split and, when another data
// set's test images were scored too, of those (OOD) and the AUROC of
// telling the two apart by score.
type Anomalies struct {
	Scores  []float64 // the test images'
	OOD     []float64 // the other set's (nil: none)
	OODName string    // the other set's name
	AUROC   float64   // the test images the negatives, the other set's the positives
}

// ScoreAnomalies scores each image of test by AnomalyScores, in batches of
// batch with samples draws of z each from seed, and, when ood names a data
// set, the first limit of its test images (all for 0) with seed+1.
func (s *Session) ScoreAnomalies(test *data.Split, ood string, limit, batch, samples int, seed int64) (*Anomalies, error) {
	a := &Anomalies{OODName: ood}
	var oodImages []float32
	if ood != "" {
		oodSet, err := s.DataSet(ood, "--ood")
		if err != nil {
			return nil, err
		}
		oodImages, a.OODName = LimitSplit(oodSet.Test, limit).Images(), oodSet.Name
	}
	model, err := s.EvalModel(batch)
	if err != nil {
		return nil, err
	}
	if a.Scores, err = AnomalyScores(model, test.Images(), samples, seed); err != nil {
		return nil, err
	}
	if oodImages == nil {
		return a, nil
	}
	if a.OOD, err = AnomalyScores(model, oodImages, samples, seed+1); err != nil {
		return nil, err
	}
	if a.AUROC, err = eval.AUROC(a.Scores, a.OOD); err != nil {
		return nil, err
	}
	return a, nil
}

// AnomalyGrid draws the images of test (a split of set) at worst, the most
// anomalous first, each captioned with its index, label and score, in
// rows of generate.GridCols, upscaled by scale.
func AnomalyGrid(set *data.Set, test *data.Split, scores []float64, worst []int, scale int) image.Image {
	images := make([]float32, 0, len(worst)*test.ImageSize())
	captions := make([]string, len(worst))
	for k, i := range worst {
		images = test.AppendImage(images, i)
		captions[k] = fmt.Sprintf("%d:%s %.1f", i, set.LabelName(test.Labels[i]), scores[i])
	}
	return generate.CaptionedGrid(images, captions, test.Height, test.Width, test.Channels, generate.GridCols(len(worst)), scale)
}

// WriteAnomalyCSV writes index,label,score rows of the images labelled
// labels, the highest score (the most anomalous) first, ties by index.
func WriteAnomalyCSV(w io.Writer, labels []int, scores []float64) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "index,label,score")
	for _, i := range MostAnomalous(scores, len(scores)) {
		fmt.Fprintf(bw, "%d,%d,%s\n", i, labels[i], strconv.FormatFloat(scores[i], 'f', 4, 64))
	}
	return bw.Flush()
}
