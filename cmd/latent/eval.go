package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
)

// runEval implements `latent eval`: the negative ELBO, its terms, the active
// units and the importance-weighted NLL of a run on a test split.
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "--run DIR [--data X] [--iw K (default 10; 1000 for published numbers)] [--binarize] [--json] [--batch B] [--chunk C] [--seed S] [--limit N] [--backend B]", stderr)
	f := evalFlags(fs, true)
	k := fs.Int("iw", evalFastK, "importance samples per image for the IW bound on the NLL (0: skip it); the default takes seconds, "+
		"the published numbers use 1000 or more (their time is estimated and printed first)")
	binarize := fs.Bool("binarize", false, "evaluate on dynamically binarized test images (each pixel 1 with its value as probability, seeded by --seed), the IWAE paper's protocol")
	asJSON := fs.Bool("json", false, "print the result as JSON instead of a table")
	chunk := fs.Int("chunk", eval.DefaultChunk, "importance samples per image drawn in one graph call")
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
	out := evalReport{Result: *r, Binarized: *binarize, Step: s.run.Step, Run: s.run.Dir, Data: set.Name, Seed: *f.seed,
		Model: s.run.Config.Model.Network(), Layers: s.run.Config.Model.Layers(), Averaged: s.run.Averaged,
		PixelHead: pixelHead(s.run.Config.Model),
		Classes:   s.run.Config.Model.Classes}
	out.Protocol = protocol(*binarize, s.run.Config.Data.Binarize)
	out.BitsPerDim = bitsPerDim(r, s.cfg.Height*s.cfg.Width*s.cfg.Channels)
	out.References = references(set.Name, *binarize, out.Classes)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return out.table(stdout)
}

// evalReport is what `latent eval` prints.
type evalReport struct {
	eval.Result
	Binarized bool   `json:"binarized"`
	Step      int64  `json:"step"`
	Run       string `json:"run"`
	Data      string `json:"data"`
	Seed      int64  `json:"seed"`
	Model     string `json:"model"`
	Layers    int    `json:"stochastic_layers"`
	// PixelHead describes the model's pixel head ("" without one).
	PixelHead string `json:"pixel_head,omitempty"`
	Averaged  bool   `json:"ema_weights"` // the run's moving-average weights were evaluated
	Protocol  string `json:"protocol"`
	// Classes is the number of classes a conditional model is conditioned
	// on (0: unconditional); its numbers are then of −log p(x|y), y each
	// test image's label.
	Classes int `json:"conditional_classes"`
	// BitsPerDim holds the likelihoods in bits per dimension.
	BitsPerDim bitsDim `json:"bits_per_dim"`
	// References are the published numbers of the protocol run, and the
	// command that measures ours as docs/numbers.md's table does.
	References *refs `json:"references,omitempty"`
}

// protocol names the test images' likelihood protocol of the numbers, and
// warns when it differs from the training images'.
func protocol(binarized, trainedBinarized bool) string {
	p := "grey: test pixels in [0, 1] scored as they are (not comparable with binarized-MNIST papers)"
	if binarized {
		p = "binarized: dynamically binarized test images, as the IWAE paper and its successors report"
	}
	if binarized != trainedBinarized {
		p += "; note: the run was trained on " + map[bool]string{true: "binarized", false: "grey"}[trainedBinarized] + " images"
	}
	return p
}

// pixelHead describes cfg's pixel head, "" without one.
func pixelHead(cfg models.Config) string {
	if !cfg.Autoregressive() {
		return ""
	}
	return fmt.Sprintf("pixel head %d wide, %dx%d window", cfg.PixelWidth, cfg.PixelKernel, cfg.PixelKernel)
}

// table prints the report as aligned text.
func (r evalReport) table(w io.Writer) error {
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
	fmt.Fprintf(tw, "active units\t%d of %d (variance of the posterior mean across images > %g)\n",
		r.ActiveUnits, r.Latent, eval.ActiveThreshold)
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
	return tw.Flush()
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

// bitsDim holds likelihoods in bits per dimension: nats / (H·W·C · ln 2).
type bitsDim struct {
	NegELBO float64  `json:"neg_elbo"`
	IWNLL   *float64 `json:"iw_nll,omitempty"`
}

// bitsPerDim converts r's likelihoods, in nats per image of dims values,
// to bits per dimension.
func bitsPerDim(r *eval.Result, dims int) bitsDim {
	per := 1 / (float64(dims) * math.Ln2)
	b := bitsDim{NegELBO: r.NegELBO * per}
	if r.IWNLL != nil {
		v := *r.IWNLL * per
		b.IWNLL = &v
	}
	return b
}

// refs are the published numbers of an evaluation's protocol and the
// command that measures ours.
type refs struct {
	Published string `json:"published"`
	Ours      string `json:"ours"`
}

// references returns the published numbers for the data set and protocol
// that eval ran (nil when it knows none: conditional runs, other sets).
func references(set string, binarized bool, classes int) *refs {
	if set != data.MNIST || classes > 0 {
		return nil
	}
	if binarized {
		return &refs{
			Published: "binarized MNIST, IW-NLL: IWAE paper VAE 86.76, IWAE 82.90 (Burda et al. 2016, K=5000); " +
				"Ladder VAE 79.24 (Sønderby et al. 2016, K=1000); NVAE 78.01 (Vahdat and Kautz 2020)",
			Ours: "docs/numbers.md's table (conv 85.15, ladder 84.11, conv + pixel head 80.58): latent eval --run RUN --iw 1000 --binarize",
		}
	}
	return &refs{
		Published: "grey MNIST, negative ELBO: pytorch/examples' VAE 105.6, Flax's about 104 (10 epochs); " +
			"binarized-MNIST papers are not comparable: add --binarize for their protocol",
		Ours: "docs/numbers.md's grey row (IW-NLL 94.28, K=1000): latent eval --run RUN --iw 1000",
	}
}
