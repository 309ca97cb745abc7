package vae

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
)

// tinyVQRun writes a run folder of a tiny vq model (a 7×7 grid of 4-d
// vectors, or FSQ's 3 channels) quantised by quantizer.
func tinyVQRun(t *testing.T, quantizer string) string {
	t.Helper()
	c := models.DefaultConfig()
	c.Model, c.Widths, c.Hidden, c.Latent, c.Quantizer, c.Codebook, c.Blocks = models.VQModel, []int{8, 16}, 0, 4, quantizer, 16, 1
	if quantizer == models.QuantizerFSQ {
		c.Codebook, c.Levels, c.Latent = 0, []int{3, 2, 3}, 3
	}
	// VQ trained a few steps: an untrained codebook's vectors are too alike
	// for a changed cell to change the decoded image.
	return tinyRunModel(t, models.WithFamilyDefaults(c), 0, quantizer == models.QuantizerVQ)
}

// TestVQExplore: on a vq run (either quantiser), interpolation runs
// through the encoder's grids before quantisation, so its first and last
// frames are the endpoints' reconstructions, and a drawn grid's codebook
// vectors quantise back to the grid, so drawn endpoints' first frame is
// the drawn grid decoded; map and neighbors place the quantised vectors
// (cells·D of them), a test image finding itself first among the test
// images.
func TestVQExplore(t *testing.T) {
	for _, q := range []string{models.QuantizerVQ, models.QuantizerFSQ} {
		t.Run(q, func(t *testing.T) {
			s := open(t, tinyVQRun(t, q), io.Discard)
			set, err := s.TestSet("")
			if err != nil {
				t.Fatal(err)
			}
			test, size, frames := set.Test, s.Model.GridVectorSize(), 5
			imgSize := side * side

			ends, _, err := s.InterpolationEnds(Endpoints{Indexed: true, Pairs: 1, FromIndex: 0, ToIndex: 1})
			if err != nil || len(ends) != 2 || len(ends[0]) != size {
				t.Fatalf("InterpolationEnds: %v, %d ends; want 2 of %d", err, len(ends), size)
			}
			images, err := s.Interpolate(generate.MethodLerp, ends, nil, frames)
			if err != nil || len(images) != frames*imgSize {
				t.Fatalf("Interpolate: %v, %d values", err, len(images))
			}
			recon, err := s.Reconstruct(append(slices.Clone(test.Image(0)), test.Image(1)...), nil)
			if err != nil {
				t.Fatal(err)
			}
			first, last := images[:imgSize], images[(frames-1)*imgSize:]
			if d := maxDiff(first, recon[:imgSize]); !(d <= 1e-5) {
				t.Errorf("first frame: %g from test image 0's reconstruction", d)
			}
			if d := maxDiff(last, recon[imgSize:]); !(d <= 1e-5) {
				t.Errorf("last frame: %g from test image 1's reconstruction", d)
			}

			codes, _, err := s.Sample("normal", DefaultPriorSteps, 2, 7, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			vectors, err := s.GridVectors(codes)
			if err != nil || len(vectors) != 2*size {
				t.Fatalf("GridVectors: %v, %d values; want %d", err, len(vectors), 2*size)
			}
			back, err := s.quantizeGrids(vectors)
			if err != nil || !slices.Equal(back, codes) {
				t.Fatalf("drawn grids' vectors quantised: %v, equal to the grids: %v", err, slices.Equal(back, codes))
			}
			drawn, _, err := s.InterpolationEnds(Endpoints{Pairs: 1, Prior: "normal", PriorSteps: DefaultPriorSteps, Seed: 7, Temperature: 1})
			if err != nil || !slices.Equal(drawn[0], vectors[:size]) {
				t.Fatalf("drawn endpoints: %v; want the drawn grid's vectors", err)
			}

			m, how, err := s.MapSplit(set, test, 8, MapPCA, 1)
			if err != nil || len(m.X) != test.N || !strings.Contains(how, fmt.Sprintf("of the %d-D quantised code vectors", size)) ||
				!strings.Contains(m.Title, "quantised code grids of 16 ") {
				t.Fatalf("MapSplit: %v, %d points, how %q, title %q", err, len(m.X), how, m.Title)
			}
			points, d, err := s.latentPoints(8, "neighbors")
			if err != nil || d != size {
				t.Fatalf("latentPoints: %v, dimension %d; want %d", err, d, size)
			}
			found, err := Neighbors(points, test.Image(3), test.Labels[3], test, 3, false, 3)
			if err != nil || len(found) != 3 || found[0].Index != 3 || !(found[0].Distance <= 1e-6) {
				t.Fatalf("Neighbors of test image 3 among the test images: %v, %+v; want itself first", err, found)
			}
			recon0 := recon[:imgSize]
			grid0, err := s.Encode(test.Image(0), nil)
			if err != nil {
				t.Fatal(err)
			}
			cols := s.Model.Codes()
			tr, err := s.Sweep(TraverseOptions{Base: TraverseBase{Prior: "normal", PriorSteps: DefaultPriorSteps, Temperature: 1}, Steps: cols, Span: 3, Order: OrderKL, Scale: 1})
			if err != nil || len(tr.BaseNames) != GridTraverseBases || tr.Steps != cols || len(tr.Images) != GridTraverseBases*cols*imgSize ||
				*tr.Cell != (GridCell{3, 3}) || tr.BaseNames[1] != "image 1" {
				t.Fatalf("Sweep: %v, %+v", err, tr)
			}
			own := slices.Index(tr.Codes, int(grid0[3*7+3]))
			if own < 0 {
				t.Fatalf("the traversal's codes %v lack test image 0's code at the centre, %v", tr.Codes, grid0[3*7+3])
			}
			if d := maxDiff(tr.Images[own*imgSize:(own+1)*imgSize], recon0); !(d <= 1e-5) {
				t.Errorf("the tile of test image 0's own code at the centre: %g from its reconstruction", d)
			}
			r, err := s.NeighborsOf(set, test, 2, "", 0, 3, true, 8)
			if err != nil || len(r.Found) != 3 || slices.ContainsFunc(r.Found, func(n embedding.Neighbor) bool { return n.Index == 2 }) {
				t.Fatalf("NeighborsOf test image 2 among the others: %v, %+v", err, r)
			}
		})
	}
}

// TestParseCell: --cell is ROW,COL inside the grid, "" its centre; a bad
// value names --cell.
func TestParseCell(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want GridCell
		err  string
	}{
		{"", GridCell{3, 3}, ""},
		{"0,6", GridCell{0, 6}, ""},
		{" 2, 1", GridCell{2, 1}, ""},
		{"7,0", GridCell{}, `--cell "7,0": out of the 7×7 grid`},
		{"-1,0", GridCell{}, "out of the 7×7 grid"},
		{"3", GridCell{}, `--cell "3": want ROW,COL`},
		{"a,b", GridCell{}, "want ROW,COL"},
	} {
		got, err := ParseCell(tc.v, 7, 7)
		if tc.err == "" && (err != nil || got != tc.want) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseCell(%q): %v, %v; want %v, %q", tc.v, got, err, tc.want, tc.err)
		}
	}
}

// TestCodesByUse: the most used code first, ties by code, unused ones last.
func TestCodesByUse(t *testing.T) {
	got := CodesByUse([]float32{2, 2, 0, 3, 3, 2, 0}, 5)
	if want := []int{2, 0, 3, 1, 4}; !slices.Equal(got, want) {
		t.Errorf("CodesByUse: %v, want %v", got, want)
	}
}

// TestCellNeedsAVQRun: --cell on a run whose code is not a vq model's grid
// is the caller's usage error, naming --cell, before the run is touched.
func TestCellNeedsAVQRun(t *testing.T) {
	s := gridSession(t)
	_, err := s.Sweep(TraverseOptions{Steps: 3, Span: 1, Order: OrderKL, Scale: 1, Cell: "1,1",
		Base: TraverseBase{Prior: "normal", PriorSteps: DefaultPriorSteps, Temperature: 1}})
	var arg *ArgError
	if !errors.As(err, &arg) || !strings.Contains(err.Error(), `--cell "1,1": only a vq run's code is a grid of cells`) {
		t.Errorf("Sweep --cell on a test grid kind: %v; want a usage error naming --cell", err)
	}
}

// TestGridTraverseFlags: on a vq run --order orders the cell's codes (use,
// the default: the test split's most used first; index: codes 0, 1, …),
// and the flags a grid has no use for are refused when given, as usage
// errors naming the flag: --range (codes have no range to sweep) and
// --order kl or dim (a grid has no dimensions); a run of dimensions
// refuses the grid's orders.
func TestGridTraverseFlags(t *testing.T) {
	s := open(t, tinyVQRun(t, models.QuantizerVQ), io.Discard)
	base := TraverseBase{Prior: "normal", PriorSteps: DefaultPriorSteps, Temperature: 1}
	sweep := func(given map[string]bool, order string) (*Traversal, TraverseOptions, error) {
		o := TraverseOptions{Base: base, Steps: 4, Span: 3, Order: order, Scale: 1}
		if err := o.Choose(given); err != nil {
			t.Fatal(err)
		}
		tr, err := s.Sweep(o)
		return tr, o, err
	}
	byUse, o, err := sweep(nil, OrderKL)
	if err != nil {
		t.Fatalf("the default order: %v", err)
	}
	if byUse.CodeOrder != OrderUse || !strings.Contains(o.Describe(byUse), "the 4 codes the test split uses most") {
		t.Fatalf("the default order: %q, %q", byUse.CodeOrder, o.Describe(byUse))
	}
	if use, _, err := sweep(map[string]bool{"order": true}, OrderUse); err != nil || !slices.Equal(use.Codes, byUse.Codes) || !slices.Equal(use.Images, byUse.Images) {
		t.Errorf("--order use: %v; want the default's traversal", err)
	}
	byIndex, o, err := sweep(map[string]bool{"order": true}, OrderIndex)
	if err != nil {
		t.Fatalf("--order index: %v", err)
	}
	if !slices.Equal(byIndex.Codes, []int{0, 1, 2, 3}) || !strings.Contains(o.Describe(byIndex), "codes 0 to 3 (codebook order)") {
		t.Errorf("--order index: codes %v, %q; want 0 to 3", byIndex.Codes, o.Describe(byIndex))
	}
	for _, tc := range []struct {
		name  string
		given map[string]bool
		order string
		want  string
	}{
		{"--range", map[string]bool{"range": true}, OrderKL, "--range 3: a vq run's traversal sets a cell of its grid to codes, which have no range to sweep"},
		{"--order kl", map[string]bool{"order": true}, OrderKL, "--order kl: a vq run's grid has no dimensions to order"},
		{"--order dim", map[string]bool{"order": true}, OrderDim, "--order dim: a vq run's grid has no dimensions to order"},
	} {
		_, _, err := sweep(tc.given, tc.order)
		var arg *ArgError
		if !errors.As(err, &arg) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on a vq run: %v; want a usage error saying %q", tc.name, err, tc.want)
		}
	}
	g := open(t, tinyRun(t), io.Discard)
	_, err = g.Sweep(TraverseOptions{Base: base, Steps: 3, Span: 1, Order: OrderIndex, Scale: 1})
	var arg *ArgError
	if !errors.As(err, &arg) || !strings.Contains(err.Error(), "--order index: orders a vq run's codes") {
		t.Errorf("--order index on a run of dimensions: %v; want a usage error naming --order", err)
	}
}
