package serve

// The explorer of a discrete run (models.Discrete: a VQ or FSQ model's
// grid of indices into a codebook): the code grid in place of the map
// and sliders. The page shows a test image's grid or a sampled one; a
// cell changed (a code from the palette, or the wheel) decodes the grid
// again.

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/latent-vae/latent/models"
)

// gridExplorer is what of the explorer a discrete latent without
// Run.Codes cannot have, as its refusal says.
const gridExplorer = "serve: the code-grid explorer"

// gridView is a discrete run's code grid: its shape, its codebook and the
// test images' grids.
type gridView struct {
	height, width, codes int
	test                 []float32 // the test images' grids, flat [n·height·width], indices as float32
	used                 []int     // how many test grids' cells hold each code
}

// newGridView encodes run's test split to its grids with run.Codes.
func newGridView(run Run, kind models.LatentKind) (*gridView, error) {
	dims := kind.Code().Dimensions
	if len(dims) != 2 {
		return nil, fmt.Errorf("%s: the run's code is %v, not a 2-D grid", gridExplorer, dims)
	}
	v := &gridView{height: dims[0], width: dims[1], codes: models.Codebook(kind)}
	test, err := run.Codes(run.Test.Images(), labelsOf(run))
	if err != nil {
		return nil, fmt.Errorf("encoding the test split to grids: %w", err)
	}
	if cells := v.height * v.width; len(test) != run.Test.N*cells {
		return nil, fmt.Errorf("encoding the test split to grids: %d values for %d grids of %d cells", len(test), run.Test.N, cells)
	}
	if err := v.checkIndices("the test split's grids", test); err != nil {
		return nil, err
	}
	v.test = test
	v.used = make([]int, v.codes)
	for _, c := range test {
		v.used[int(c)]++
	}
	return v, nil
}

// labelsOf is run's test labels for a conditional model, nil otherwise.
func labelsOf(run Run) []int {
	if !run.Config.Conditional() {
		return nil
	}
	return run.Test.Labels
}

// checkIndices refuses a value of codes that is no index of the codebook,
// naming what holds it.
func (v *gridView) checkIndices(what string, codes []float32) error {
	for i, c := range codes {
		if !(c >= 0 && c < float32(v.codes)) || c != float32(math.Trunc(float64(c))) {
			return badRequest("%s[%d] = %g: want an index of the codebook, a whole number from 0 to %d", what, i, c, v.codes-1)
		}
	}
	return nil
}

// gridInfo is GET /api/info's grid of a discrete run.
type gridInfo struct {
	Height int   `json:"height"` // cells down
	Width  int   `json:"width"`  // cells across
	Codes  int   `json:"codes"`  // the codebook's size K: a cell holds 0 … K−1
	Used   []int `json:"used"`   // how many cells of the test grids hold each code
}

// gridRoutes is the API of a discrete run's explorer.
func (s *Server) gridRoutes() []route {
	return []route{
		{"GET", "/api/info", s.info},
		{"GET", "/api/test/{index}", s.gridTest},
		{"POST", "/api/decode", s.decode},
		{"GET", "/api/palette", s.palette},
		{"POST", "/api/sample", s.sample},
	}
}

// gridTestResponse is GET /api/test/{index} of a discrete run: the image
// and its grid.
type gridTestResponse struct {
	Index int       `json:"index"`
	Label int       `json:"label"`
	Image []int     `json:"image"`
	Code  []float32 `json:"code"` // the grid's indices, row by row
}

func (s *Server) gridTest(w http.ResponseWriter, r *http.Request) error {
	i, err := s.testIndex(r)
	if err != nil {
		return err
	}
	l := s.latent
	writeJSON(w, http.StatusOK, gridTestResponse{Index: i, Label: s.run.Test.Labels[i],
		Image: pixelBytes(s.run.Test.Image(i)), Code: s.grid.test[i*l : (i+1)*l]})
	return nil
}

// paletteEntry is one code of GET /api/palette: the image of a grid
// holding it in every cell, and how often the test grids use it.
type paletteEntry struct {
	Index int   `json:"index"`
	Used  int   `json:"used"`
	Image []int `json:"image"`
}

// palette answers GET /api/palette (?label=L for a conditional run): every
// code of the codebook, most used first (ties by index), each with the
// image of a grid of that code alone, so that the page shows what a code
// draws.
func (s *Server) palette(w http.ResponseWriter, r *http.Request) error {
	var label *int
	if q := r.URL.Query().Get("label"); q != "" {
		l, err := strconv.Atoi(q)
		if err != nil {
			return badRequest("label %q: want a whole number", q)
		}
		label = &l
	}
	k := s.grid.codes
	labels, err := s.requestLabels(label, nil, k)
	if err != nil {
		return err
	}
	codes := make([]float32, 0, k*s.latent)
	for c := range k {
		for range s.latent {
			codes = append(codes, float32(c))
		}
	}
	images, err := s.decoder.Decode(r.Context(), codes, labels)
	if err != nil {
		return fmt.Errorf("decoding the codebook: %w", err)
	}
	out := make([]paletteEntry, k)
	for c, img := range s.split(images) {
		out[c] = paletteEntry{Index: c, Used: s.grid.used[c], Image: img}
	}
	slices.SortStableFunc(out, func(a, b paletteEntry) int { return cmp.Compare(b.Used, a.Used) })
	writeJSON(w, http.StatusOK, map[string][]paletteEntry{"codes": out})
	return nil
}

// errNoCodes refuses a discrete run without Run.Codes.
var errNoCodes = errors.New("the run gives no grids of its images (Run.Codes)")
