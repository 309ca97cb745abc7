// Command decode shows latent as a library: it loads a run trained by
// `latent train` and decodes one latent code to a PNG.
//
//	go run ./examples/decode --run runs/mnist -o decoded.png 0.5 -1.2
//
// The arguments are the code's first coordinates; the rest are 0, the
// prior's mean.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"

	"github.com/janpfeifer/must"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/vae"
)

func main() {
	runDir := flag.String("run", "runs/mnist", "run folder written by latent train")
	out := flag.String("o", "decoded.png", "output PNG")
	scale := flag.Int("scale", 4, "upscale every pixel to a scale×scale block")
	flag.Parse()

	// The newest checkpoint of the run, on $GOMLX_BACKEND, else XLA CPU if installed, else pure Go.
	s := must.M1(vae.Open(*runDir, "", os.Stderr))
	defer s.Close()
	cfg := s.Model
	z := make([]float32, must.M1(s.Dimensions("decoding coordinates"))) // one per latent dimension; a kind without dimensions is refused
	if flag.NArg() > len(z) {
		log.Fatalf("%d coordinates given, the model has %d latent dimensions", flag.NArg(), len(z))
	}
	for i, arg := range flag.Args() {
		z[i] = float32(must.M1(strconv.ParseFloat(arg, 32)))
	}
	pixels := must.M1(s.Decode(z, nil)) // NHWC in [0, 1]; a conditional run would take each code's class label
	img := generate.Grid(pixels, 1, cfg.Height, cfg.Width, cfg.Channels, 1, *scale)
	must.M(generate.WritePNG(*out, img))
	fmt.Printf("decoded %v to %s\n", z, *out)
}
