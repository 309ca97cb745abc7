package vae

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/plots"
)

// The projections of a map of codes (`latent map --method`).
const (
	MapPCA  = "pca"  // the latent itself when it has 2 dimensions, else its first two principal components
	MapTSNE = "tsne" // t-SNE, seeded
	MapUMAP = "umap" // UMAP, seeded
)

// ManifoldLo and ManifoldHi are the probabilities whose standard normal
// quantiles span a manifold grid, as in Keras's VAE example.
const ManifoldLo, ManifoldHi = 0.05, 0.95

// MapSplit encodes split, the test split of set (each image with its
// label), by the run's encoder in batches of batch, and places the
// posterior means (a vq run's quantised vectors, flat cells·D) in 2-D by method (ProjectMap, seeded by seed), saying on
// the session's Log how long a nonlinear projection took. The map is
// titled with the run and the images, its points labelled by class. It
// returns the map and how it was projected.
func (s *Session) MapSplit(set *data.Set, split *data.Split, batch int, method string, seed int64) (*plots.Map, string, error) {
	if split.N < 2 {
		return nil, "", fmt.Errorf("--data %s: a map needs at least 2 test images, got %d", set.Name, split.N)
	}
	points, d, err := s.latentPoints(batch, "map")
	if err != nil {
		return nil, "", err
	}
	means, err := points(split.Images(), split.Labels)
	if err != nil {
		return nil, "", fmt.Errorf("encoding the test split: %w", err)
	}
	m, how, err := ProjectMap(means, d, method, seed, s.Log)
	if err != nil {
		return nil, "", err
	}
	m.Labels, m.Classes, m.LegendTitle = split.Labels, set.Classes, "label"
	if len(set.Classes) > 0 {
		m.LegendTitle = "class"
	}
	what := "latent means"
	if s.gridRun() {
		what = "quantised code grids"
		how = strings.Replace(how, "latent means", "quantised code vectors", 1) // ProjectMap's words for the points
	}
	m.Title = fmt.Sprintf("%s (step %d): %s of %d %s test images", filepath.Base(s.Run.Dir), s.Run.Step, what, split.N, set.Name)
	return m, how, nil
}

// ProjectMap places codes (flat [n*latent]) in 2-D by method: MapPCA as
// LatentMap does, else by t-SNE or UMAP seeded by seed, saying on log how
// long that took. It returns the map and how it was projected.
func ProjectMap(codes []float32, latent int, method string, seed int64, log io.Writer) (*plots.Map, string, error) {
	var e interface {
		Embed(points []float64, d int) ([][2]float64, error)
	}
	var name, how string
	switch method {
	case MapPCA:
		return LatentMap(codes, latent)
	case MapTSNE:
		e, name, how = embedding.TSNE{Seed: seed}, "t-SNE", fmt.Sprintf("t-SNE (perplexity 30, seed %d)", seed)
	case MapUMAP:
		e, name, how = embedding.UMAP{Seed: seed}, "UMAP", fmt.Sprintf("UMAP (15 neighbours, min_dist 0.1, seed %d)", seed)
	default:
		return nil, "", argErrorf("--method %q: want %s, %s or %s", method, MapPCA, MapTSNE, MapUMAP)
	}
	n := len(codes) / latent
	start := time.Now()
	y, err := e.Embed(float64s(codes), latent)
	if err != nil {
		return nil, "", fmt.Errorf("--method %s: %w", method, err)
	}
	fmt.Fprintf(log, "%s of %d points: %.1fs\n", method, n, time.Since(start).Seconds())
	m := &plots.Map{X: make([]float64, n), Y: make([]float64, n), XLabel: name + " 1", YLabel: name + " 2"}
	for i, p := range y {
		m.X[i], m.Y[i] = p[0], p[1]
	}
	return m, fmt.Sprintf("%s of the %d-D latent means", how, latent), nil
}

// float64s converts values to float64.
func float64s(values []float32) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = float64(v)
	}
	return out
}

// LatentMap places codes (flat [n*latent]) in 2-D: as they are when latent
// is 2 (or along x when it is 1), else on their first two principal
// components. It says which, with each component's share of the variance.
func LatentMap(codes []float32, latent int) (*plots.Map, string, error) {
	n := len(codes) / latent
	m := &plots.Map{X: make([]float64, n), Y: make([]float64, n)}
	if latent == 2 {
		for i := range n {
			m.X[i], m.Y[i] = float64(codes[2*i]), float64(codes[2*i+1])
		}
		m.XLabel, m.YLabel = "z1", "z2"
		return m, "the 2-D latent as it is", nil
	}
	points := float64s(codes)
	if latent == 1 {
		copy(m.X, points)
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

// MapCSV is a map's points as CSV: index, label, x, y, a row per point.
func MapCSV(m *plots.Map) []byte {
	var b bytes.Buffer
	b.WriteString("index,label,x,y\n")
	for i := range m.X {
		fmt.Fprintf(&b, "%d,%d,%.9g,%.9g\n", i, m.Labels[i], m.X[i], m.Y[i])
	}
	return b.Bytes()
}

// Manifold decodes an n×n grid over the run's 2-D latent, at the standard
// normal quantiles of ManifoldLo to ManifoldHi (generate.Manifold), as the
// class label names (required for a conditional run), each image upscaled
// by scale; the grid is labelled with the z values, which it also returns
// in increasing order. n and scale are checked (CheckManifold), and that
// the grid fits in one picture.
func (s *Session) Manifold(n, scale int, label string) (image.Image, []float64, error) {
	m := s.Model
	if err := CheckManifold(n, scale); err != nil {
		return nil, nil, err
	}
	if err := CheckGridSize(n*n, m.Height, m.Width, scale, "--manifold-n and --scale"); err != nil {
		return nil, nil, err
	}
	if d, err := s.Dimensions("--manifold"); err != nil {
		return nil, nil, err
	} else if d != 2 {
		return nil, nil, fmt.Errorf("--manifold: the run's latent has %d dimensions, want 2 (use the scatter, or traverse)", d)
	}
	l, haveLabel, err := s.Label(label)
	if err != nil {
		return nil, nil, err
	}
	if m.Conditional() && !haveLabel {
		return nil, nil, s.NeedLabel("the grid")
	}
	codes, values := generate.Manifold(n, ManifoldLo, ManifoldHi)
	images, err := s.Decode(codes, RepeatLabel(l, n*n))
	if err != nil {
		return nil, nil, err
	}
	grid := generate.Grid(images, n*n, m.Height, m.Width, m.Channels, n, scale)
	cols, rows := make([]string, n), make([][]string, n)
	for i, v := range values {
		cols[i] = strconv.FormatFloat(v, 'f', 2, 64)
		rows[n-1-i] = []string{cols[i]}
	}
	img := generate.Label(grid, m.Width*scale, m.Height*scale, generate.Labels{Rows: rows, Cols: cols, Corner: `z2\z1`})
	return img, values, nil
}
