package main

import (
	"fmt"
	"io"

	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/vae"
	"github.com/spf13/pflag"
)

// mapArgs are the flags of `latent map`.
type mapArgs struct {
	eval     evalCommon
	out      *string
	manifold *bool
	cells    *int
	scale    *int
	label    *string
	method   *string
	seed     *int64
	colorBy  *string
	format   string
}

// formatCSV is map's table of coordinates.
const formatCSV = "csv"

// mapLong is the help of `latent map` after its synopsis.
const mapLong = "  latent map --run DIR --manifold [--manifold-n N] [--scale S] [-o manifold.png]   (a grid decoded over a 2-D latent)"

// mapCommand defines `latent map`'s flags on fs and returns its body, runMap.
func mapCommand(fs *pflag.FlagSet) runFunc {
	a := mapFlags(fs)
	return func(args []string, stdout, stderr io.Writer) error { return runMap(fs, a, args, stdout, stderr) }
}

// runMap implements `latent map`: the test split's posterior means in 2-D
// (the latent itself when it has two dimensions, else its first two
// principal components), coloured by label; with --manifold, the images
// decoded from a grid over a 2-D latent.
func runMap(fs *pflag.FlagSet, a *mapArgs, args []string, stdout, stderr io.Writer) error {
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if *a.manifold {
		s, err := openSession(*a.eval.run, *a.eval.backend, stderr)
		if err != nil {
			return err
		}
		defer s.Close()
		return writeManifold(s, a, stdout, stderr)
	}
	s, set, test, err := openEvalSession(a.eval, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	factor := -1
	if *a.colorBy != "" {
		if factor, err = vae.CheckColorBy(test, set.Name, *a.colorBy); err != nil {
			return err
		}
	}
	m, how, err := s.MapSplit(set, test, *a.eval.batch, *a.method, *a.seed)
	if err != nil {
		return err
	}
	if factor >= 0 {
		vae.ColorByFactor(m, test, set.Classes, factor)
		how += ", coloured by " + *a.colorBy
	}
	if a.format == formatCSV {
		if err := writeBytes(*a.out, stdout, vae.MapCSV(m)); err != nil {
			return err
		}
		fmt.Fprintf(summaryTo(*a.out, stdout, stderr), "wrote %s: index, label, x, y of %d test images of %s, %s\n", outName(*a.out), test.N, set.Name, how)
		return nil
	}
	fig, err := m.Draw(a.format)
	if err != nil {
		return err
	}
	if err := writeBytes(*a.out, stdout, fig); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*a.out, stdout, stderr), "wrote %s: %d test images of %s, %s\n", outName(*a.out), test.N, set.Name, how)
	return nil
}

// mapFlags defines the flags of `latent map`.
func mapFlags(fs *pflag.FlagSet) *mapArgs {
	return &mapArgs{
		eval:     evalFlags(fs, false),
		out:      outFlag(fs, "map.png", "the map, or its coordinates as .csv (with --manifold: the grid, .png only)", append(plots.Formats(), formatCSV)...),
		method:   fs.String("method", vae.MapPCA, "projection of a latent of more than 2 dimensions: pca (fast, linear), tsne (t-SNE) or umap (UMAP): these two keep neighbours together, so classes separate (t-SNE about 30 s for 10,000 images on 2 cores; fewer with --limit)"),
		seed:     fs.Int64("seed", 1, "--method tsne or umap: seed of the initial map (the same seed, the same map)"),
		manifold: fs.Bool("manifold", false, "decode an N×N grid over a 2-D latent instead (z at Gaussian quantiles 0.05 to 0.95, as in Keras's VAE example)"),
		cells:    fs.Int("manifold-n", 20, "--manifold: images along each side of the grid (2 to 100)"),
		scale:    fs.Int("scale", 2, "--manifold: upscale every pixel to a scale×scale block (1 to 64)"),
		label:    labelFlag(fs, "--manifold: the class the grid is decoded as"),
		colorBy:  fs.String("color-by", "", "colour the points by this factor of a data set with factors (--data sprites: shape, scale, orientation, x, y) instead of by label"),
	}
}

// parse checks the flags and refuses operands (args).
func (a *mapArgs) parse(fs *pflag.FlagSet, args []string) error {
	if err := parseEvalFlags(fs, args, a.eval); err != nil {
		return err
	}
	set := flagsSet(fs)
	formats := append(plots.Formats(), formatCSV)
	switch {
	case vae.CheckMapMethod(*a.method) != nil:
		return vae.CheckMapMethod(*a.method)
	case *a.manifold:
		formats = []string{formatPNG}
		if set["data"] || set["limit"] || set["method"] || set["color-by"] {
			return usagef("--manifold decodes a grid of latents; --data, --limit, --method and --color-by are of the scatter of test images")
		}
	case set["manifold-n"] || set["scale"]:
		return usagef("--manifold-n and --scale go with --manifold")
	}
	if err := vae.CheckManifold(*a.cells, *a.scale); err != nil {
		return err
	}
	var err error
	a.format, err = checkOut("-o", *a.out, formats...)
	return err
}

// writeManifold writes the images decoded from an n×n grid over the run's
// 2-D latent (vae.Session.Manifold), labelled with their z values.
func writeManifold(s *session, a *mapArgs, stdout, stderr io.Writer) error {
	img, values, err := s.Manifold(*a.cells, *a.scale, *a.label)
	if err != nil {
		return err
	}
	if err := writePNG(*a.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*a.out, stdout, stderr), "wrote %s: %s\n", outName(*a.out), vae.DescribeManifold(img, values))
	return nil
}
