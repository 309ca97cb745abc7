package vae

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
)

// WriteText writes the evaluation as aligned text, as `latent eval`
// prints it, then the rows given (a name and its text each).
func (r Evaluation) WriteText(w io.Writer, rows ...[2]string) error {
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
	if b := r.PriorBound; b != nil {
		fmt.Fprintf(tw, "with the %s prior\t%.3f\tnats/image, %.4f bits/dim (reconstruction + −log p_prior(codes) %.3f: the KL of the one-hot posterior against the fitted prior, in place of the uniform prior's above)\n",
			b.Prior, b.NegELBO, b.BitsPerDim, b.CodesNLL)
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

// TighterK is the K of the tighter bound a quick evaluation names: the published
// numbers' (K ≥ 1000).
const TighterK = 1000

// MiddleWay is about the longest a --limit middle way of the tighter bound
// should take.
const MiddleWay = 2 * time.Minute

// TighterHint names the command of the tighter bound (K = TighterK) with
// its time on this machine, estimated on one batch of images as
// IWEstimate does (a second or two on MNIST), and, when that takes
// longer than MiddleWay, a --limit N middle way that takes about MiddleWay
// at most. command is the eval command without --limit and --iw; limit is
// its --limit (0: none), kept in the tighter command.
func TighterHint(model *eval.Model, images []float32, labels []int, seed int64, command string, limit int) (string, error) {
	total, err := model.EstimateLogLikelihood(images, labels, TighterK, seed)
	if err != nil {
		return "", fmt.Errorf("timing the importance sampling: %w", err)
	}
	n := len(images) / model.ImageSize()
	full := command
	if limit > 0 && limit <= n {
		full += fmt.Sprintf(" --limit %d", n)
	}
	hint := fmt.Sprintf("%s --iw %d: about %s on this machine (estimated on one batch)", full, TighterK, total.Round(time.Second))
	if m := MiddleLimit(n, total); m > 0 {
		hint += fmt.Sprintf("; a middle way: %s --limit %d --iw %d, about %s",
			command, m, TighterK, (total * time.Duration(m) / time.Duration(n)).Round(time.Second))
	}
	return hint, nil
}

// MiddleLimit returns the --limit of a middle way when all n images take
// total: the most of 100, 200, 500, 1000, 2000, 5000 images (fewer than n)
// that take MiddleWay at most, else 100; 0 when total is within MiddleWay
// or n is 100 or fewer.
func MiddleLimit(n int, total time.Duration) int {
	if total <= MiddleWay || n <= 100 {
		return 0
	}
	best := 100
	for _, m := range []int{200, 500, 1000, 2000, 5000} {
		if m < n && total*time.Duration(m)/time.Duration(n) <= MiddleWay {
			best = m
		}
	}
	return best
}

// EvalFastK is `latent eval`'s default number of importance samples: an IW-NLL in
// seconds on MNIST's test split.
const EvalFastK = 10

// EstimateFromK is the smallest K whose time `latent eval` estimates and prints
// before it starts.
const EstimateFromK = 100

// IWEstimate writes on w about how long the importance sampling of k
// samples per image takes, timed on one batch of the images.
func IWEstimate(w io.Writer, model *eval.Model, images []float32, labels []int, k int, seed int64) error {
	d, err := model.EstimateLogLikelihood(images, labels, k, seed)
	if err != nil {
		return fmt.Errorf("timing the importance sampling: %w", err)
	}
	n := len(images) / model.ImageSize()
	fmt.Fprintf(w, "importance sampling, K=%d on %d images: estimated %s (timed on one batch); the default --iw %d takes about %s\n",
		k, n, d.Round(time.Second), EvalFastK, (d * EvalFastK / time.Duration(k)).Round(100*time.Millisecond))
	return nil
}

// EvalOptions are how Evaluate measures a test split.
type EvalOptions struct {
	Batch, Chunk int   // images per graph call, importance samples per call
	K            int   // importance samples per image (0: no IW bound)
	Seed         int64 // of the draws, and of the binarization
	Binarize     bool  // dynamically binarize the test images first
	// Hint asks, for a quick K (below TighterK), for the tighter bound's
	// command and time (TighterHint): Command is the eval command without
	// --limit and --iw, Limit its --limit.
	Hint    bool
	Command string
	Limit   int
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o EvalOptions) Check() error {
	switch {
	case o.K < 0 || o.K > 1_000_000:
		return argErrorf("--iw %d: want 0 (skip) to 1000000", o.K)
	case o.Chunk < 1:
		return argErrorf("--chunk %d: want at least 1", o.Chunk)
	}
	return nil
}

// Evaluate measures the run on test, a split of the data set named set
// (eval.Evaluate), saying first on the session's Log how long a large K
// takes (IWEstimate); it returns the evaluation and, when o asks for it,
// the tighter bound's hint ("" otherwise).
func (s *Session) Evaluate(set string, test *data.Split, o EvalOptions) (Evaluation, string, error) {
	if err := o.Check(); err != nil {
		return Evaluation{}, "", err
	}
	model, err := s.EvalModel(o.Batch)
	if err != nil {
		return Evaluation{}, "", err
	}
	images := test.Images()
	if o.Binarize {
		images = data.Binarize(images, o.Seed)
	}
	model.Chunk = o.Chunk
	if o.K >= EstimateFromK {
		if err := IWEstimate(s.Log, model, images, test.Labels, o.K, o.Seed); err != nil {
			return Evaluation{}, "", err
		}
	}
	r, err := eval.Evaluate(model, images, test.Labels, o.K, o.Seed)
	if err != nil {
		return Evaluation{}, "", fmt.Errorf("evaluating %s: %w", s.Run.Dir, err)
	}
	out := s.Evaluation(r, set, o.Binarize, o.Seed)
	if out.PriorBound, err = s.priorBound(r, test.Labels); err != nil {
		return Evaluation{}, "", fmt.Errorf("evaluating %s: %w", s.Run.Dir, err)
	}
	if !o.Hint || o.K <= 0 || o.K >= TighterK {
		return out, "", nil
	}
	hint, err := TighterHint(model, images, test.Labels, o.Seed+1, o.Command, o.Limit)
	return out, hint, err
}
