package main

import (
	"io"

	"github.com/latent-vae/latent/internal/cli"
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
	colorBy  *string
	seed     *int64
	format   string
}

// mapLong is the help of `latent map` after its synopsis.
const mapLong = "  latent map --run DIR --manifold [--manifold-n N] [--scale S] [-o manifold.png]   (a grid decoded over a 2-D latent)"

// mapCommand defines `latent map`'s flags on fs and returns its body, runMap.
func mapCommand(fs *pflag.FlagSet) cli.RunFunc {
	a := mapFlags(fs)
	return func(_ []string, stdout, stderr io.Writer) error { return runMap(cli.Given(fs), a, stdout, stderr) }
}

// runMap implements `latent map`: the test split's posterior means in 2-D
// (the latent itself when it has two dimensions, else its first two
// principal components), coloured by label; with --manifold, the images
// decoded from a grid over a 2-D latent. set holds the flags given.
func runMap(set map[string]bool, a *mapArgs, stdout, stderr io.Writer) error {
	if err := a.check(set); err != nil {
		return err
	}
	if *a.manifold {
		s, err := a.eval.data.open(*a.eval.run, *a.eval.backend, stderr)
		if err != nil {
			return err
		}
		defer s.Close()
		return writeManifold(s, a, stdout, stderr)
	}
	s, ds, test, err := a.eval.open(stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	factor := -1
	if *a.colorBy != "" {
		if factor, err = vae.CheckColorBy(test, ds.Name, *a.colorBy); err != nil {
			return err
		}
	}
	m, how, err := s.MapSplit(ds, test, *a.eval.batch, *a.method, *a.seed)
	if err != nil {
		return err
	}
	if factor >= 0 {
		vae.ColorByFactor(m, test, ds.Classes, factor)
		how += ", coloured by " + *a.colorBy
	}
	if a.format == cli.FormatCSV {
		if err := cli.WriteBytes(*a.out, stdout, vae.MapCSV(m)); err != nil {
			return err
		}
		cli.Wrote(*a.out, stdout, stderr, "index, label, x, y of %d test images of %s, %s", test.N, ds.Name, how)
		return nil
	}
	fig, err := m.Draw(a.format)
	if err != nil {
		return err
	}
	if err := cli.WriteBytes(*a.out, stdout, fig); err != nil {
		return err
	}
	cli.Wrote(*a.out, stdout, stderr, "%d test images of %s, %s", test.N, ds.Name, how)
	return nil
}

// mapFlags defines the flags of `latent map`.
func mapFlags(fs *pflag.FlagSet) *mapArgs {
	return &mapArgs{
		eval:     evalFlags(fs, false),
		out:      cli.OutFlag(fs, "map.png", "the map, or its coordinates as .csv (with --manifold: the grid, .png only)", append(plots.Formats(), cli.FormatCSV)...),
		method:   fs.String("method", vae.MapPCA, "projection of a latent of more than 2 dimensions: pca (fast, linear), tsne (t-SNE) or umap (UMAP): these two keep neighbours together, so classes separate (t-SNE about 30 s for 10,000 images on 2 cores; fewer with --limit)"),
		seed:     fs.Int64("seed", 1, "--method tsne or umap: seed of the initial map (the same seed, the same map)"),
		manifold: fs.Bool("manifold", false, "decode an N×N grid over a 2-D latent instead (z at Gaussian quantiles 0.05 to 0.95, as in Keras's VAE example)"),
		cells:    fs.Int("manifold-n", 20, "--manifold: images along each side of the grid (2 to 100)"),
		scale:    fs.Int("scale", 2, "--manifold: upscale every pixel to a scale×scale block (1 to 64)"),
		label:    labelFlag(fs, "--manifold: the class the grid is decoded as"),
		colorBy:  fs.String("color-by", "", "colour the points by this factor of a data set with factors (--data sprites: shape, scale, orientation, x, y) instead of by label"),
	}
}

// check checks the flags; set holds those given.
func (a *mapArgs) check(set map[string]bool) error {
	if err := a.eval.check(); err != nil {
		return err
	}
	formats := append(plots.Formats(), cli.FormatCSV)
	switch {
	case vae.CheckMapMethod(*a.method) != nil:
		return vae.CheckMapMethod(*a.method)
	case *a.manifold:
		formats = []string{cli.FormatPNG}
		if set["data"] || set["limit"] || set["method"] || set["color-by"] {
			return cli.Usagef("--manifold decodes a grid of latents; --data, --limit, --method and --color-by are of the scatter of test images")
		}
	case set["manifold-n"] || set["scale"]:
		return cli.Usagef("--manifold-n and --scale go with --manifold")
	}
	if err := vae.CheckManifold(*a.cells, *a.scale); err != nil {
		return err
	}
	var err error
	a.format, err = cli.CheckOut("-o", *a.out, ownFile, formats...)
	return err
}

// writeManifold writes the images decoded from an n×n grid over the run's
// 2-D latent (vae.Session.Manifold), labelled with their z values.
func writeManifold(s *vae.Session, a *mapArgs, stdout, stderr io.Writer) error {
	img, values, err := s.Manifold(*a.cells, *a.scale, *a.label)
	if err != nil {
		return err
	}
	if err := cli.WritePNG(*a.out, stdout, img); err != nil {
		return err
	}
	cli.Wrote(*a.out, stdout, stderr, "%s", vae.DescribeManifold(img, values))
	return nil
}
