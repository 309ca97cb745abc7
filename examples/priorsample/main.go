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

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

func main() {
	runDir := flag.String("run", "runs/mnist", "run folder written by latent train")
	name := flag.String("prior", prior.Auto, "auto (the run's best fitted prior, else normal), normal, or a kind fitted by latent prior fit")
	n := flag.Int("n", 16, "how many samples")
	seed := flag.Int64("seed", 1, "random seed")
	out := flag.String("o", "samples.png", "output PNG")
	flag.Parse()

	// The newest checkpoint of the run, on $GOMLX_BACKEND, else XLA CPU if installed, else pure Go.
	s := must.M1(vae.Open(*runDir, "", os.Stderr))
	defer s.Close()
	cfg := s.Model
	labels := vae.SampleLabels(cfg, *n) // a conditional run samples and decodes one class label per code
	// "auto" becomes the fitted kind, or "normal"; n codes of cfg.Kind().Code().Size() numbers each,
	// at the temperature the prior's fit chose (1 for N(0, I)).
	codes, kind := must.M2(s.Sample(*name, vae.DefaultPriorSteps, *n, *seed, prior.ChosenTemperature, labels))
	pixels := must.M1(s.Decode(codes, labels)) // NHWC in [0, 1]; a pixel head generates as it was trained
	cols := min(*n, 8)
	must.M(generate.WritePNG(*out, generate.Grid(pixels, *n, cfg.Height, cfg.Width, cfg.Channels, cols, 2)))
	fmt.Printf("%d samples of the %s prior in %s\n", *n, kind, *out)
}
