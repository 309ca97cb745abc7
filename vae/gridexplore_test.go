package vae

import (
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
// vectors, or FSQ's 3 channels) quantised by quantizer, untrained.
func tinyVQRun(t *testing.T, quantizer string) string {
	t.Helper()
	c := models.DefaultConfig()
	c.Model, c.Widths, c.Hidden, c.Latent, c.Quantizer, c.Codebook, c.Blocks = models.VQModel, []int{8, 16}, 0, 4, quantizer, 16, 1
	if quantizer == models.QuantizerFSQ {
		c.Codebook, c.Levels, c.Latent = 0, []int{3, 2, 3}, 3
	}
	return tinyRunModel(t, models.WithFamilyDefaults(c), 0, false)
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
			if err != nil || len(m.X) != test.N || !strings.Contains(how, fmt.Sprintf("of the %d-D", size)) ||
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
			r, err := s.NeighborsOf(set, test, 2, "", 0, 3, true, 8)
			if err != nil || len(r.Found) != 3 || slices.ContainsFunc(r.Found, func(n embedding.Neighbor) bool { return n.Index == 2 }) {
				t.Fatalf("NeighborsOf test image 2 among the others: %v, %+v", err, r)
			}
		})
	}
}
