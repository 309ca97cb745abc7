// Command trainfolder shows latent as a library: it trains a VAE on a folder
// of images (PNG, JPEG or GIF, read recursively; subfolder names are the
// labels) and leaves a run folder that every latent command reads.
//
//	go run ./examples/trainfolder --data path/to/images --out runs/faces --size 32 --epochs 20
//	latent sample --run runs/faces -o samples.png
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/janpfeifer/must"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/train"
)

func main() {
	folder := flag.String("data", "", "folder of images")
	out := flag.String("out", "runs/folder", "run folder to create")
	size := flag.Int("size", 32, "resize images to size×size (divisible by 4)")
	epochs := flag.Int("epochs", 10, "training epochs")
	flag.Parse()
	if *folder == "" {
		log.Fatal("--data: a folder of images is required")
	}

	cfg := rundir.DefaultConfig()
	cfg.Data.Spec, cfg.Data.ImageSize = *folder, *size // channels: grey if every image is, else RGB
	cfg.Epochs = *epochs
	// Given names the settings chosen here; on colour images the others take
	// latent train's defaults for colour (rundir.ColourDefaults: the
	// discretised logistic and batches of 32).
	given := map[string]bool{"data": true, "image-size": true, "epochs": true}

	b := must.M1(backend.Open("", os.Stderr))
	defer b.Finalize()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt) // Ctrl-C saves a checkpoint
	defer stop()
	res := must.M1(train.Fit(ctx, b, cfg, train.Options{Out: *out, Log: os.Stderr, Given: given}))
	fmt.Printf("trained %s for %d steps: test negative ELBO %.1f nats per image\n", *out, res.Step, res.Test.NegELBO)
}
