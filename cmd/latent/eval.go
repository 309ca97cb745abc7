package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
)

// runEval implements `latent eval`: the negative ELBO, its terms, the active
// units and the importance-weighted NLL of a run on a test split.
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "--run DIR [--data X] [--iw K] [--binarize] [--json] [--batch B] [--chunk C] [--seed S] [--limit N] [--backend B]", stderr)
	f := evalFlags(fs, true)
	k := fs.Int("iw", 1000, "importance samples per image for the IW bound on the NLL (0: skip it)")
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
	defer s.close()
	model, err := s.evalModel(*f.batch)
	if err != nil {
		return err
	}
	images := test.Images()
	if *binarize {
		images = data.Binarize(images, *f.seed)
	}
	model.Chunk = *chunk
	r, err := eval.Evaluate(model, images, test.Labels, *k, *f.seed)
	if err != nil {
		return fmt.Errorf("evaluating %s: %w", s.run.Dir, err)
	}
	out := evalReport{Result: *r, Binarized: *binarize, Step: s.run.Step, Run: s.run.Dir, Data: set.Name, Seed: *f.seed,
		Model: s.run.Config.Model.Network(), Layers: s.run.Config.Model.Layers(), Averaged: s.run.Averaged,
		PixelHead: pixelHead(s.run.Config.Model),
		Classes:   s.run.Config.Model.Classes}
	out.Protocol = protocol(*binarize, s.run.Config.Data.Binarize)
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
	fmt.Fprintf(tw, "negative ELBO\t%.3f\tnats/image (one sampled z per image)\n", r.NegELBO)
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
		fmt.Fprintf(tw, "IW NLL (K=%d)\t%.3f\tnats/image (importance-weighted bound on %s)\n", r.IWK, *r.IWNLL, of)
	}
	return tw.Flush()
}
