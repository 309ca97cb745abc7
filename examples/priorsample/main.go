// Command priorsample shows latent as a library: it opens a run trained by
// `latent train`, draws codes from the prior fitted to it by `latent prior
// fit` and decodes them to a grid of images in a PNG, as `latent sample`
// does. docs/library.md walks through it.
//
//	go run ./examples/priorsample --run runs/mnist -n 16 -o samples.png
//
// Outside this repository it is the same program in a module of its own,
// after `go get github.com/latent-vae/latent/...@latest`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/janpfeifer/must"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
)

func main() {
	runDir := flag.String("run", "runs/mnist", "run folder written by latent train")
	name := flag.String("prior", prior.Auto, "auto (the run's best fitted prior, else normal), normal, or a kind fitted by latent prior fit")
	n := flag.Int("n", 16, "how many samples")
	seed := flag.Int64("seed", 1, "random seed")
	out := flag.String("o", "samples.png", "output PNG")
	flag.Parse()

	run := must.M1(rundir.Load(*runDir))
	cfg := run.Config.Model
	b := must.M1(backend.Open("", os.Stderr)) // $GOMLX_BACKEND, else XLA CPU if installed, else pure Go
	defer b.Finalize()

	var labels []int // a conditional run samples and decodes one class label per code
	for i := range *n {
		if cfg.Conditional() {
			labels = append(labels, i%cfg.Classes)
		}
	}
	kind := must.M1(prior.Resolve(run.Dir, *name)) // "auto" becomes the fitted kind, or "normal"
	var codes []float32                            // n codes of cfg.Latent numbers each
	if kind == prior.Normal {
		codes = generate.RandomLatents(*n, cfg.Latent, *seed, 1)
	} else {
		saved := must.M1(prior.Read(run.Dir, kind))
		sampler := must.M1(saved.Open(b, prior.OpenOptions{Batch: generate.BatchFor(*n), Steps: 50}))
		defer sampler.Close()
		codes = must.M1(sampler.Sample(*n, *seed, 1, labels)) // temperature 1
	}

	dec := must.M1(generate.NewDecoder(b, run.Ctx, cfg, generate.BatchFor(*n)))
	defer dec.Finalize()
	dec.GreyPixels = !run.Config.Data.Binarize   // a pixel head generates as it was trained
	pixels := must.M1(dec.Decode(codes, labels)) // NHWC in [0, 1]
	cols := min(*n, 8)
	must.M(generate.WritePNG(*out, generate.Grid(pixels, *n, cfg.Height, cfg.Width, cfg.Channels, cols, 2)))
	fmt.Printf("%d samples of the %s prior in %s\n", *n, kind, *out)
}
