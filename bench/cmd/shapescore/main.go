// Command shapescore measures how well a run trained on the shapes set
// (--data shapes) reconstructs it: for the first -n test images, the mean
// absolute error of each channel over the shape's pixels, in levels of 255,
// and the distance between the reconstructed and the true shape's
// centroids, in pixels (shapes.Errors); and the run's last test negative
// ELBO in bits per dimension. Usage:
//
//	shapescore --run DIR [-n 16]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/shapes"
	"github.com/latent-vae/latent/vae"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "shapescore:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shapescore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("run", "", "run folder trained on --data shapes")
	n := fs.Int("n", 16, "test images to reconstruct")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *n <= 0 {
		return fmt.Errorf("--run DIR is required and -n must be positive")
	}
	s, err := vae.Open(*dir, "", io.Discard)
	if err != nil {
		return err
	}
	defer s.Close()
	d := s.Run.Config.Data
	if d.Spec != data.Shapes {
		return fmt.Errorf("--run %s: trained on %q, not %q", *dir, d.Spec, data.Shapes)
	}
	set, err := s.TestSet("")
	if err != nil {
		return err
	}
	test := vae.LimitSplit(set.Test, *n)
	recon, err := s.Reconstruct(test.Images(), test.Labels)
	if err != nil {
		return err
	}
	_, factors := shapes.Generate(shapes.Count, shapes.Seed)
	_, indices := data.ShapesSplit(d.TestFraction, d.SplitSeed)
	var sum [3]float64
	worstColour, worstPos, sumPos := 0.0, 0.0, 0.0
	for i := range test.N {
		e, err := shapes.Errors(factors[indices[i]], recon[i*shapes.Pixels:(i+1)*shapes.Pixels])
		if err != nil {
			return err
		}
		for c := range sum {
			sum[c] += e.Colour[c]
		}
		worstColour, worstPos = max(worstColour, e.MaxColour()), max(worstPos, e.Position)
		sumPos += e.Position
	}
	k := float64(test.N)
	fmt.Fprintf(stdout, "%s: %d test images: colour error per channel (mean, levels of 255) %.1f %.1f %.1f, worst image %.1f; position error mean %.2f px, worst %.2f px\n",
		*dir, test.N, sum[0]/k, sum[1]/k, sum[2]/k, worstColour, sumPos/k, worstPos)
	ev, err := s.EvalModel(500)
	if err != nil {
		return err
	}
	l, err := ev.MeanELBO(set.Test.Images(), set.Test.Labels, s.Run.Config.Seed)
	if err != nil {
		return err
	}
	dims := float64(shapes.Pixels)
	fmt.Fprintf(stdout, "test negative ELBO %.1f nats (recon %.1f, KL %.1f): %.3f bits/dim\n", l.NegELBO, l.Recon, l.KL, l.NegELBO/(dims*math.Ln2))
	return nil
}
