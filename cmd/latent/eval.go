package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/vae"
)

// evalCmd defines `latent eval`'s flags on fs and returns its body, runEval.
func evalCmd(fs *pflag.FlagSet) runFunc {
	f := evalFlags(fs, true)
	k := fs.Int("iw", evalFastK, "importance samples per image for the IW bound on the NLL (0: skip it); the default takes seconds, "+
		"the published numbers use 1000 or more (their time is estimated and printed first)")
	binarize := fs.Bool("binarize", false, "evaluate on dynamically binarized test images (each pixel 1 with its value as probability, seeded by --seed), the IWAE paper's protocol")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	chunk := fs.Int("chunk", eval.DefaultChunk, "importance samples per image drawn in one graph call")
	return func(args []string, stdout, stderr io.Writer) error {
		return runEval(fs, args, stdout, stderr, f, k, binarize, asJSON, chunk)
	}
}

// runEval implements `latent eval`: the negative ELBO, its terms, the active
// units and the importance-weighted NLL of a run on a test split.
func runEval(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer,
	f evalCommon, k *int, binarize, asJSON *bool, chunk *int) error {
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	switch {
	case *k < 0 || *k > 1_000_000:
		return usagef("--iw %d: want 0 (skip) to 1000000", *k)
	case *chunk < 1:
		return usagef("--chunk %d: want at least 1", *chunk)
	}
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	model, err := s.EvalModel(*f.batch)
	if err != nil {
		return err
	}
	images := test.Images()
	if *binarize {
		images = data.Binarize(images, *f.seed)
	}
	model.Chunk = *chunk
	if *k >= estimateFromK {
		if err := printIWEstimate(stderr, model, images, test.Labels, *k, *f.seed); err != nil {
			return err
		}
	}
	r, err := eval.Evaluate(model, images, test.Labels, *k, *f.seed)
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", s.run.Dir, err)
	}
	out := s.Evaluation(r, set.Name, *binarize, *f.seed)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	var rows [][2]string
	if *k > 0 && *k < tighterK {
		hint, err := tighterHint(model, images, test.Labels, *f.seed+1, evalCommand(f, *binarize), *f.limit)
		if err != nil {
			return err
		}
		rows = append(rows, [2]string{"tighter", hint})
	}
	return printEvaluation(out, stdout, rows...)
}

// printEvaluation prints r as aligned text, then the rows given (a name and
// its text each).
func printEvaluation(r vae.Evaluation, w io.Writer, rows ...[2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	images := "test images"
	if r.Binarized {
		images += fmt.Sprintf(", dynamically binarized (seed %d)", r.Seed)
	}
	fmt.Fprintf(tw, "run\t%s (step %d)\n", r.Run, r.Step)
	weights := ""
	if r.Averaged {
		weights = ", moving-average (EMA) weights"
	}
	head := ""
	if r.PixelHead != "" {
		head = ", " + r.PixelHead
	}
	fmt.Fprintf(tw, "model\t%s, %d stochastic layer(s)%s%s\n", r.Model, r.Layers, head, weights)
	if r.Classes > 0 {
		fmt.Fprintf(tw, "conditional\ton %d classes: every number is of −log p(x|y), y the test image's label (not comparable with an unconditional model's −log p(x))\n", r.Classes)
	}
	fmt.Fprintf(tw, "data\t%s: %d %s\n", r.Data, r.Images, images)
	fmt.Fprintf(tw, "protocol\t%s\n", r.Protocol)
	if r.CodesUsed > 0 { // a quantised model: its code has no units to be active
		fmt.Fprintf(tw, "codes\t%.1f%% of the codebook used, perplexity %.2f (on the %d cells of every image; the KL is log K per cell, a one-hot posterior against the uniform prior)\n",
			100*r.CodesUsed, r.Perplexity, r.Latent)
	} else {
		fmt.Fprintf(tw, "active units\t%d of %d (variance of the posterior mean across images > %g)\n",
			r.ActiveUnits, r.Latent, eval.ActiveThreshold)
	}
	for i, a := range r.ActiveLayers {
		fmt.Fprintf(tw, "  layer %d\t%d of %d\n", i+1, a, r.Latent/len(r.ActiveLayers))
	}
	fmt.Fprintf(tw, "negative ELBO\t%.3f\tnats/image (one sampled z per image), %.4f bits/dim\n", r.NegELBO, r.BitsPerDim.NegELBO)
	fmt.Fprintf(tw, "  reconstruction\t%.3f\tnats/image\n", r.Recon)
	fmt.Fprintf(tw, "  KL\t%.3f\tnats/image\n", r.KL)
	for i, kl := range r.KLLayers {
		fmt.Fprintf(tw, "    layer %d\t%.3f\tnats/image (given the layers above; 1 is the top)\n", i+1, kl)
	}
	if r.IWNLL != nil {
		of := "−log p(x)"
		if r.Classes > 0 {
			of = "−log p(x|y)"
		}
		fast := ""
		if r.IWK < 1000 {
			fast = fmt.Sprintf("; K=%d is quick and looser: published numbers use K ≥ 1000 (--iw 1000)", r.IWK)
		}
		fmt.Fprintf(tw, "IW NLL (K=%d)\t%.3f\tnats/image, %.4f bits/dim (importance-weighted bound on %s%s)\n", r.IWK, *r.IWNLL, *r.BitsPerDim.IWNLL, of, fast)
	}
	if r.References != nil {
		fmt.Fprintf(tw, "published\t%s\n", r.References.Published)
		fmt.Fprintf(tw, "ours\t%s\n", r.References.Ours)
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// tighterK is the K of the tighter bound a quick eval names: the published
// numbers' (K ≥ 1000).
const tighterK = 1000

// middleWay is about the longest a --limit middle way of the tighter bound
// should take.
const middleWay = 2 * time.Minute

// tighterHint names the command of the tighter bound (K = tighterK) with
// its time on this machine, estimated on one batch of images as
// printIWEstimate does (a second or two on MNIST), and, when that takes
// longer than middleWay, a --limit N middle way that takes about middleWay
// at most. command is the eval command without --limit and --iw; limit is
// its --limit (0: none), kept in the tighter command.
func tighterHint(model *eval.Model, images []float32, labels []int, seed int64, command string, limit int) (string, error) {
	total, err := model.EstimateLogLikelihood(images, labels, tighterK, seed)
	if err != nil {
		return "", fmt.Errorf("timing the importance sampling: %w", err)
	}
	n := len(images) / model.ImageSize()
	full := command
	if limit > 0 && limit <= n {
		full += fmt.Sprintf(" --limit %d", n)
	}
	hint := fmt.Sprintf("%s --iw %d: about %s on this machine (estimated on one batch)", full, tighterK, total.Round(time.Second))
	if m := middleLimit(n, total); m > 0 {
		hint += fmt.Sprintf("; a middle way: %s --limit %d --iw %d, about %s",
			command, m, tighterK, (total * time.Duration(m) / time.Duration(n)).Round(time.Second))
	}
	return hint, nil
}

// middleLimit returns the --limit of a middle way when all n images take
// total: the most of 100, 200, 500, 1000, 2000, 5000 images (fewer than n)
// that take middleWay at most, else 100; 0 when total is within middleWay
// or n is 100 or fewer.
func middleLimit(n int, total time.Duration) int {
	if total <= middleWay || n <= 100 {
		return 0
	}
	best := 100
	for _, m := range []int{200, 500, 1000, 2000, 5000} {
		if m < n && total*time.Duration(m)/time.Duration(n) <= middleWay {
			best = m
		}
	}
	return best
}

// evalCommand is the eval command the flags f ran, without --limit and
// --iw: latent eval --run DIR, with --data and --binarize when given.
func evalCommand(f evalCommon, binarize bool) string {
	c := "latent eval --run " + *f.run
	if *f.data != "" {
		c += " --data " + *f.data
	}
	if binarize {
		c += " --binarize"
	}
	return c
}

// evalFastK is eval's default number of importance samples: an IW-NLL in
// seconds on MNIST's test split.
const evalFastK = 10

// estimateFromK is the smallest K whose time eval estimates and prints
// before it starts.
const estimateFromK = 100

// printIWEstimate prints about how long the importance sampling of k
// samples per image takes, timed on one batch of the images.
func printIWEstimate(w io.Writer, model *eval.Model, images []float32, labels []int, k int, seed int64) error {
	d, err := model.EstimateLogLikelihood(images, labels, k, seed)
	if err != nil {
		return fmt.Errorf("timing the importance sampling: %w", err)
	}
	n := len(images) / model.ImageSize()
	fmt.Fprintf(w, "importance sampling, K=%d on %d images: estimated %s (timed on one batch); the default --iw %d takes about %s\n",
		k, n, d.Round(time.Second), evalFastK, (d * evalFastK / time.Duration(k)).Round(100*time.Millisecond))
	return nil
}
