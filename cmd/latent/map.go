package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/plots"
)

// runMap implements `latent map`: the test split's posterior means in 2-D
// (the latent itself when it has two dimensions, else its first two
// principal components), coloured by label.
func runMap(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("map", "--run DIR [--data X] [-o map.png] [--limit N] [--batch B] [--backend B]", stderr)
	f := evalFlags(fs)
	out := outFlag(fs, "map.png", "the map as PNG")
	if err := parseEvalFlags(fs, args, f); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-o: an output file is required")
	}
	if err := checkOutPath("-o", *out); err != nil {
		return err
	}
	s, set, test, err := openEvalSession(f, stderr)
	if err != nil {
		return err
	}
	defer s.close()
	if test.N < 2 {
		return fmt.Errorf("--data %s: a map needs at least 2 test images, got %d", set.Name, test.N)
	}
	model, err := s.evalModel(*f.batch)
	if err != nil {
		return err
	}
	means, _, err := model.Encode(test.Images())
	if err != nil {
		return fmt.Errorf("encoding the test split: %w", err)
	}
	m, how, err := latentMap(means, s.run.Config.Model.Latent)
	if err != nil {
		return err
	}
	m.Labels, m.Classes = test.Labels, set.Classes
	m.Title = fmt.Sprintf("%s (step %d): latent means of %d %s test images", filepath.Base(s.run.Dir), s.run.Step, test.N, set.Name)
	png, err := m.PNG()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(*out, png); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d test images of %s, %s\n", *out, test.N, set.Name, how)
	return nil
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
	pca, err := eval.FitPCA(points, latent, 2)
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
