package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/plots"
	"github.com/latent-vae/latent/vae"
)

// The probabilities whose standard normal quantiles span --manifold's
// grid, as in Keras's VAE example.
const manifoldLo, manifoldHi = 0.05, 0.95

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
	format   string
}

// Projections of `latent map`.
const (
	methodPCA  = "pca"
	methodTSNE = "tsne"
	methodUMAP = "umap"
)

// embedder is a 2-D embedding of points: embedding.TSNE or embedding.UMAP.
type embedder interface {
	Embed(points []float64, d int) ([][2]float64, error)
}

// embedders are the nonlinear projections by method, seeded by seed, and
// how a map says which it used.
func embedders(method string, seed int64) (embedder, string) {
	if method == methodUMAP {
		return embedding.UMAP{Seed: seed}, fmt.Sprintf("UMAP (15 neighbours, min_dist 0.1, seed %d)", seed)
	}
	return embedding.TSNE{Seed: seed}, fmt.Sprintf("t-SNE (perplexity 30, seed %d)", seed)
}

// checkMethod checks a --method flag's value.
func checkMethod(method string) error {
	switch method {
	case methodPCA, methodTSNE, methodUMAP:
		return nil
	}
	return usagef("--method %q: want pca, tsne or umap", method)
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
	if test.N < 2 {
		return fmt.Errorf("--data %s: a map needs at least 2 test images, got %d", set.Name, test.N)
	}
	model, err := s.EvalModel(*a.eval.batch)
	if err != nil {
		return err
	}
	means, _, err := model.Encode(test.Images(), test.Labels)
	if err != nil {
		return fmt.Errorf("encoding the test split: %w", err)
	}
	m, how, err := projectMap(means, s.run.Config.Model.Latent, *a.method, *a.seed, stderr)
	if err != nil {
		return err
	}
	if a.format == formatCSV {
		if err := writeBytes(*a.out, stdout, mapCSV(m, test.Labels)); err != nil {
			return err
		}
		fmt.Fprintf(summaryTo(*a.out, stdout, stderr), "wrote %s: index, label, x, y of %d test images of %s, %s\n", outName(*a.out), test.N, set.Name, how)
		return nil
	}
	m.Labels, m.Classes, m.LegendTitle = test.Labels, set.Classes, "label"
	if len(set.Classes) > 0 {
		m.LegendTitle = "class"
	}
	m.Title = fmt.Sprintf("%s (step %d): latent means of %d %s test images", filepath.Base(s.run.Dir), s.run.Step, test.N, set.Name)
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
		method:   fs.String("method", methodPCA, "projection of a latent of more than 2 dimensions: pca (fast, linear), tsne (t-SNE) or umap (UMAP): these two keep neighbours together, so classes separate (t-SNE about 30 s for 10,000 images on 2 cores; fewer with --limit)"),
		seed:     fs.Int64("seed", 1, "--method tsne or umap: seed of the initial map (the same seed, the same map)"),
		manifold: fs.Bool("manifold", false, "decode an N×N grid over a 2-D latent instead (z at Gaussian quantiles 0.05 to 0.95, as in Keras's VAE example)"),
		cells:    fs.Int("manifold-n", 20, "--manifold: images along each side of the grid (2 to 100)"),
		scale:    fs.Int("scale", 2, "--manifold: upscale every pixel to a scale×scale block (1 to 64)"),
		label:    labelFlag(fs, "--manifold: the class the grid is decoded as"),
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
	case checkMethod(*a.method) != nil:
		return checkMethod(*a.method)
	case *a.manifold:
		formats = []string{formatPNG}
		if set["data"] || set["limit"] || set["method"] {
			return usagef("--manifold decodes a grid of latents; --data and --limit choose the test images of the scatter")
		}
	case set["manifold-n"] || set["scale"]:
		return usagef("--manifold-n and --scale go with --manifold")
	}
	if *a.cells < 2 || *a.cells > 100 {
		return usagef("--manifold-n %d: want 2 to 100", *a.cells)
	}
	if err := checkScale(*a.scale); err != nil {
		return err
	}
	var err error
	a.format, err = checkOut("-o", *a.out, formats...)
	return err
}

// writeManifold writes the images decoded from an n×n grid over the run's
// 2-D latent, labelled with their z values.
func writeManifold(s *session, a *mapArgs, stdout, stderr io.Writer) error {
	m := s.cfg
	if d, err := s.Dimensions("--manifold"); err != nil {
		return err
	} else if d != 2 {
		return fmt.Errorf("--manifold: the run's latent has %d dimensions, want 2 (use the scatter, or traverse)", d)
	}
	label, haveLabel, err := s.Label(*a.label)
	if err != nil {
		return err
	}
	if m.Conditional() && !haveLabel {
		return s.NeedLabel("the grid")
	}
	n := *a.cells
	codes, values := generate.Manifold(n, manifoldLo, manifoldHi)
	images, err := s.Decode(codes, vae.RepeatLabel(label, n*n))
	if err != nil {
		return err
	}
	if err := checkGridSize(n*n, m.Height, m.Width, *a.scale, "--manifold-n and --scale"); err != nil {
		return err
	}
	grid := generate.Grid(images, n*n, m.Height, m.Width, m.Channels, n, *a.scale)
	cols, rows := make([]string, n), make([][]string, n)
	for i, v := range values {
		cols[i] = strconv.FormatFloat(v, 'f', 2, 64)
		rows[n-1-i] = []string{cols[i]}
	}
	img := generate.Label(grid, m.Width**a.scale, m.Height**a.scale, generate.Labels{Rows: rows, Cols: cols, Corner: `z2\z1`})
	if err := writePNG(*a.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*a.out, stdout, stderr), "wrote %s: %d×%d images decoded from z1, z2 at the N(0,1) quantiles of %g to %g (%.2f to %.2f), %dx%d pixels\n",
		outName(*a.out), n, n, manifoldLo, manifoldHi, values[0], values[n-1], img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// projectMap places codes in 2-D by method: as latentMap does for pca,
// else by t-SNE (seeded), saying on stderr how long that took.
func projectMap(codes []float32, latent int, method string, seed int64, stderr io.Writer) (*plots.Map, string, error) {
	if method == methodPCA {
		return latentMap(codes, latent)
	}
	n := len(codes) / latent
	points := make([]float64, len(codes))
	for i, v := range codes {
		points[i] = float64(v)
	}
	start := time.Now()
	e, how := embedders(method, seed)
	y, err := e.Embed(points, latent)
	if err != nil {
		return nil, "", fmt.Errorf("--method %s: %w", method, err)
	}
	fmt.Fprintf(stderr, "%s of %d points: %.1fs\n", method, n, time.Since(start).Seconds())
	name := map[string]string{methodTSNE: "t-SNE", methodUMAP: "UMAP"}[method]
	m := &plots.Map{X: make([]float64, n), Y: make([]float64, n), XLabel: name + " 1", YLabel: name + " 2"}
	for i, p := range y {
		m.X[i], m.Y[i] = p[0], p[1]
	}
	return m, fmt.Sprintf("%s of the %d-D latent means", how, latent), nil
}

// mapCSV writes a map's points as CSV: index, label, x, y.
func mapCSV(m *plots.Map, labels []int) []byte {
	var b bytes.Buffer
	b.WriteString("index,label,x,y\n")
	for i := range m.X {
		fmt.Fprintf(&b, "%d,%d,%.9g,%.9g\n", i, labels[i], m.X[i], m.Y[i])
	}
	return b.Bytes()
}

// latentMap places codes (flat [n*latent]) in 2-D: as they are when latent
// is 2, else on their first two principal components. It says which.
func latentMap(codes []float32, latent int) (*plots.Map, string, error) {
	n := len(codes) / latent
	m := &plots.Map{X: make([]float64, n), Y: make([]float64, n)}
	if latent == 2 {
		for i := range n {
			m.X[i], m.Y[i] = float64(codes[2*i]), float64(codes[2*i+1])
		}
		m.XLabel, m.YLabel = "z1", "z2"
		return m, "the 2-D latent as it is", nil
	}
	points := make([]float64, len(codes))
	for i, v := range codes {
		points[i] = float64(v)
	}
	if latent == 1 {
		for i := range n {
			m.X[i] = points[i]
		}
		m.XLabel, m.YLabel = "z1", "(none: the latent has one dimension)"
		return m, "the 1-D latent along x", nil
	}
	pca, err := embedding.FitPCA(points, latent, 2)
	if err != nil {
		return nil, "", fmt.Errorf("principal components of the latent means: %w", err)
	}
	var total float64
	for _, v := range eval.UnitVariances(codes, latent) {
		total += v
	}
	share := func(c int) float64 { return 100 * pca.Variances[c] / max(total, 1e-300) }
	for i, p := range pca.Project(points) {
		m.X[i], m.Y[i] = p[0], p[1]
	}
	m.XLabel = fmt.Sprintf("PC1 (%.1f%% of the variance)", share(0))
	m.YLabel = fmt.Sprintf("PC2 (%.1f%% of the variance)", share(1))
	how := fmt.Sprintf("first two principal components of the %d-D latent means (%.1f%% and %.1f%% of the variance)",
		latent, share(0), share(1))
	return m, how, nil
}
