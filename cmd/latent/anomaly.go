package main

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"strconv"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/vae"
)

// runAnomaly implements `latent anomaly`: each test image's score is its
// negative ELBO (reconstruction term averaged over --samples draws of z,
// plus the exact KL); the scores go out as CSV, the highest-scoring images
// as a grid, and with --ood the AUROC of telling the run's test images
// (negatives) from another set's (positives) by score.
func runAnomaly(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("anomaly", "--run DIR [--data X] [--ood Y] [-k 32] [-o worst.png] [--csv scores.csv] [--samples 1] [--scale 3] [--seed S] [--limit N] [--batch B] [--backend B]", stderr)
	f := evalFlags(fs, true)
	ood := fs.String("ood", "", "out-of-distribution data set whose test images are the positives of an AUROC")
	k := fs.Int("k", 32, "number of most anomalous images in the grid, each captioned index:label score (columns: a divisor of k when one fits)")
	out := outFlag(fs, "worst.png", "a grid of the most anomalous test images", formatPNG)
	csvPath := fs.String("csv", "", "write the scores (index,label,score, the highest score first) to this file instead of stdout")
	samples := fs.Int("samples", 1, "draws of z per image averaged into its score")
	scale := scaleFlag(fs)
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	switch {
	case *k < 1 || *k > 4096:
		return usagef("-k %d: want 1 to 4096", *k)
	case *samples < 1 || *samples > 1000:
		return usagef("--samples %d: want 1 to 1000", *samples)
	case *out == stdoutPath && *csvPath == "":
		return usagef("-o -: stdout carries the scores unless --csv names a file")
	}
	if err := checkScale(*scale); err != nil {
		return err
	}
	if _, err := checkOut("-o", *out, formatPNG); err != nil {
		return err
	}
	if err := checkOutPath("--csv", *csvPath); err != nil {
		return err
	}
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	var oodImages []float32
	oodName := *ood
	if *ood != "" {
		oodSet, err := s.DataSet(*ood, "--ood")
		if err != nil {
			return err
		}
		oodImages, oodName = vae.LimitSplit(oodSet.Test, *f.limit).Images(), oodSet.Name
	}
	model, err := s.EvalModel(*f.batch)
	if err != nil {
		return err
	}
	scores, err := vae.AnomalyScores(model, test.Images(), *samples, *f.seed)
	if err != nil {
		return err
	}
	var oodScores []float64
	auc := 0.0
	if oodImages != nil {
		if oodScores, err = vae.AnomalyScores(model, oodImages, *samples, *f.seed+1); err != nil {
			return err
		}
		if auc, err = eval.AUROC(scores, oodScores); err != nil {
			return err
		}
	}
	summary := summaryTo(*out, stdout, stderr)
	if *csvPath == "" {
		summary = stderr // stdout carries the CSV
	}
	worst := vae.MostAnomalous(scores, *k)
	m := s.run.Config.Model
	if err := checkGridSize(len(worst), m.Height, m.Width, *scale, "-k and --scale"); err != nil {
		return err
	}
	if err := writePNG(*out, stdout, anomalyGrid(set, test, scores, worst, *scale)); err != nil {
		return err
	}
	if err := writeScores(*csvPath, stdout, test.Labels, scores); err != nil {
		return err
	}
	fmt.Fprintf(summary, "scored %d test images of %s: mean negative ELBO %.3f nats (%d z samples each)\n",
		len(scores), set.Name, meanScore(scores), *samples)
	fmt.Fprintf(summary, "wrote %s: the %d highest scores, %.3f to %.3f, most anomalous first, each captioned index:label score\n",
		outName(*out), len(worst), scores[worst[0]], scores[worst[len(worst)-1]])
	if *csvPath != "" {
		fmt.Fprintf(summary, "wrote %s: index,label,score for each test image, highest score (most anomalous) first\n", *csvPath)
	}
	if oodScores == nil {
		return nil
	}
	fmt.Fprintf(summary, "AUROC %.4f: %s test images (%d, negatives, mean score %.3f) against %s test images (%d, positives, mean score %.3f)\n",
		auc, set.Name, len(scores), meanScore(scores), oodName, len(oodScores), meanScore(oodScores))
	return nil
}

// anomalyGrid draws the test images at worst (the most anomalous first),
// each captioned with its index, label and score, in rows of gridCols.
func anomalyGrid(set *data.Set, test *data.Split, scores []float64, worst []int, scale int) image.Image {
	images := make([]float32, 0, len(worst)*test.ImageSize())
	captions := make([]string, len(worst))
	for k, i := range worst {
		images = test.AppendImage(images, i)
		captions[k] = fmt.Sprintf("%d:%s %.1f", i, set.LabelName(test.Labels[i]), scores[i])
	}
	return generate.CaptionedGrid(images, captions, test.Height, test.Width, test.Channels, generate.GridCols(len(worst)), scale)
}

// writeScores writes index,label,score rows to path, or to stdout when path
// is empty, the highest score (the most anomalous) first, ties by index.
func writeScores(path string, stdout io.Writer, labels []int, scores []float64) error {
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintln(bw, "index,label,score")
		for _, i := range vae.MostAnomalous(scores, len(scores)) {
			fmt.Fprintf(bw, "%d,%d,%s\n", i, labels[i], strconv.FormatFloat(scores[i], 'f', 4, 64))
		}
		return bw.Flush()
	}
	if path == "" {
		return write(stdout)
	}
	return writeOutput(path, stdout, write)
}

// meanScore returns the mean of xs.
func meanScore(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}
