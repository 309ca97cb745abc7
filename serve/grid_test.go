package serve

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testrun"
)

// The fake discrete run: the fake run's 4×4 images with testrun.GridKind's
// latent, a 4×4 grid of indices into 8 codes, one cell per pixel.
const fakeCells = testrun.GridSide * testrun.GridSide

// fakeGridDecoder draws cell p's code c as pixel p's value c/8, plus
// 0.05·label.
type fakeGridDecoder struct{}

func (fakeGridDecoder) Batch() int { return 4 }

func (fakeGridDecoder) Decode(codes []float32, labels []int) ([]float32, error) {
	if len(codes)%fakeCells != 0 || (labels != nil && len(labels) != len(codes)/fakeCells) {
		return nil, fmt.Errorf("%d values, %d labels", len(codes), len(labels))
	}
	out := make([]float32, len(codes))
	for i, c := range codes {
		out[i] = c/testrun.GridCodes + 0.05*float32(labelOf(labels, i/fakeCells))
	}
	return out, nil
}

// fakeGridCodes encodes pixel p of an image to the code floor(8·value),
// at most 7: the grid the fake decoder draws back to within 1/8.
func fakeGridCodes(images []float32, _ []int) ([]float32, error) {
	out := make([]float32, len(images))
	for i, v := range images {
		out[i] = float32(min(math.Floor(float64(v)*testrun.GridCodes), testrun.GridCodes-1))
	}
	return out, nil
}

// newFakeGrid serves the fake discrete run, its priors "uniform" (every
// cell the seed modulo 8) and "transformer" (cell p holds p modulo 8).
func newFakeGrid(t *testing.T) (*Server, http.Handler) {
	t.Helper()
	cfg := fakeConfig()
	cfg.LatentKind = testrun.GridKind
	s, err := New(Run{Name: "fake", Step: 3, Config: cfg, Decoder: fakeGridDecoder{}, Model: fakeModel{}, Test: fakeTest(),
		Codes: fakeGridCodes, Priors: []string{"uniform", "transformer"},
		Sample: func(prior string, seed int64, _ int) ([]float32, error) {
			z := make([]float32, fakeCells)
			for p := range z {
				z[p] = float32(seed % testrun.GridCodes)
				if prior == "transformer" {
					z[p] = float32(p % testrun.GridCodes)
				}
			}
			return z, nil
		}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, s.Handler()
}

// TestGridExplorer: a discrete run's explorer says its grid and codebook,
// gives each test image's grid, decodes an edited grid, shows the
// codebook as a palette by usage and samples grids; it refuses a value
// that is no index, and has no map.
func TestGridExplorer(t *testing.T) {
	s, h := newFakeGrid(t)
	var info infoResponse
	decodeBody(t, do(h, "GET", "/api/info", "", ""), &info)
	if g := info.Grid; g == nil || g.Height != testrun.GridSide || g.Width != testrun.GridSide || g.Codes != testrun.GridCodes ||
		len(g.Used) != testrun.GridCodes || info.Latent != fakeCells || len(info.Dims) != 0 ||
		!slices.Equal(info.Priors, []string{"uniform", "transformer"}) {
		t.Fatalf("info %+v, grid %+v: want a 4×4 grid of 8 codes, 16 values a code, no sliders, both priors", info, info.Grid)
	}
	total := 0
	for _, n := range info.Grid.Used {
		total += n
	}
	if total != fakeN*fakeCells {
		t.Errorf("the codes' usage sums to %d cells, want the %d of the test grids", total, fakeN*fakeCells)
	}

	var ti gridTestResponse
	decodeBody(t, do(h, "GET", "/api/test/5", "", ""), &ti)
	want, _ := fakeGridCodes(s.run.Test.Image(5), nil)
	if ti.Index != 5 || ti.Label != s.run.Test.Labels[5] || !slices.Equal(ti.Code, want) || len(ti.Image) != fakeSize {
		t.Errorf("test image 5: %+v; want its grid %v", ti, want)
	}

	// An edited grid decodes to its codes (the fake draws code c as c/8).
	grid := slices.Clone(ti.Code)
	grid[3] = 7
	var img struct{ Image []int }
	decodeBody(t, do(h, "POST", "/api/decode", jsonType, jsonOf(t, map[string]any{"z": grid})), &img)
	for p, c := range grid {
		if want := int(math.Round(float64(c) / 8 * 255)); img.Image[p] != want {
			t.Fatalf("decoded pixel %d = %d, want %d from code %v", p, img.Image[p], want, c)
		}
	}
	for _, bad := range []float64{8, -1, 2.5} {
		z := make([]float64, fakeCells)
		z[3] = bad
		rec := do(h, "POST", "/api/decode", jsonType, jsonOf(t, map[string]any{"z": z}))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "z[3] = "+fmt.Sprint(bad)+": want an index of the codebook, a whole number from 0 to 7") {
			t.Errorf("decoding a grid holding %v: status %d %s; want 400 naming z[3]", bad, rec.Code, rec.Body)
		}
	}

	var pal struct{ Codes []paletteEntry }
	decodeBody(t, do(h, "GET", "/api/palette", "", ""), &pal)
	if len(pal.Codes) != testrun.GridCodes || !slices.IsSortedFunc(pal.Codes, func(a, b paletteEntry) int { return b.Used - a.Used }) {
		t.Fatalf("palette %+v: want the 8 codes, most used first", pal.Codes)
	}
	for _, e := range pal.Codes {
		want := int(math.Round(float64(e.Index) / 8 * 255))
		if e.Used != info.Grid.Used[e.Index] || len(e.Image) != fakeSize || slices.ContainsFunc(e.Image, func(v int) bool { return v != want }) {
			t.Errorf("palette code %d: used %d (info %d), image %v; want every pixel %d", e.Index, e.Used, info.Grid.Used[e.Index], e.Image, want)
		}
	}

	var drawn struct {
		Z     []float32
		Prior string
	}
	decodeBody(t, do(h, "POST", "/api/sample", jsonType, `{"prior":"transformer","seed":1}`), &drawn)
	if drawn.Prior != "transformer" || len(drawn.Z) != fakeCells || drawn.Z[9] != 1 {
		t.Errorf("sample: %+v; want the transformer's grid", drawn)
	}
	for _, path := range []string{"/api/points", "/api/neighbors", "/api/encode", "/api/interpolate"} {
		method := "POST"
		if path == "/api/points" {
			method = "GET"
		}
		if rec := do(h, method, path, jsonType, "{}"); rec.Code != http.StatusNotFound {
			t.Errorf("%s %s on a grid run: status %d, want 404", method, path, rec.Code)
		}
	}
}
