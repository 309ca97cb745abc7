package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
)

// The fake run: 4×4 grey images, a 3-D latent, 12 test images; its
// graphs are plain Go functions, so these tests need no backend.
const (
	fakeSide   = 4
	fakeLatent = 3
	fakeN      = 12
	fakeSize   = fakeSide * fakeSide
)

// fakeModel encodes an image to the sums of its pixels p with p%3 = j
// (logvar −1), plus 10·label in the first dimension, and scores it
// 10·sum(pixels) + 1 + 100·label. Without labels the label is 0.
type fakeModel struct{}

func (fakeModel) Encode(images []float32, labels []int) (means, logVars []float32, err error) {
	if len(images) == 0 || len(images)%fakeSize != 0 {
		return nil, nil, fmt.Errorf("%d values", len(images))
	}
	for i := 0; i < len(images); i += fakeSize {
		m := make([]float32, fakeLatent)
		for p, v := range images[i : i+fakeSize] {
			m[p%fakeLatent] += v
		}
		m[0] += 10 * float32(labelOf(labels, i/fakeSize))
		means = append(means, m...)
		logVars = append(logVars, -1, -1, -1)
	}
	return means, logVars, nil
}

func (fakeModel) SharedELBO(images []float32, labels []int, _ int, _ int64) (recon, kl []float64, err error) {
	for i := 0; i < len(images); i += fakeSize {
		var s float64
		for _, v := range images[i : i+fakeSize] {
			s += float64(v)
		}
		recon, kl = append(recon, 10*s+100*float64(labelOf(labels, i/fakeSize))), append(kl, 1)
	}
	return recon, kl, nil
}

// labelOf is item i's label, 0 without labels.
func labelOf(labels []int, i int) int {
	if labels == nil {
		return 0
	}
	return labels[i]
}

// fakeDecoder decodes pixel p of a code z with label l to
// 0.5 + 0.1·z[p%3] + 0.05·l.
type fakeDecoder struct{}

func (fakeDecoder) Batch() int { return 4 }

func (fakeDecoder) Decode(codes []float32, labels []int) ([]float32, error) {
	if labels != nil && len(labels) != len(codes)/fakeLatent {
		return nil, fmt.Errorf("%d labels for %d codes", len(labels), len(codes)/fakeLatent)
	}
	var out []float32
	for i := 0; i < len(codes); i += fakeLatent {
		for p := range fakeSize {
			out = append(out, 0.5+0.1*codes[i+p%fakeLatent]+0.05*float32(labelOf(labels, i/fakeLatent)))
		}
	}
	return out, nil
}

func fakeTest() *data.Split {
	s := &data.Split{N: fakeN, Height: fakeSide, Width: fakeSide, Channels: 1}
	for i := range fakeN {
		for p := range fakeSize {
			s.Pixels = append(s.Pixels, data.Quantize(float32((i*7+p*3)%11)/10))
		}
		s.Labels = append(s.Labels, i%3)
	}
	return s
}

// fakeConfig is the fake run's model.
func fakeConfig() models.Config {
	return models.Config{Height: fakeSide, Width: fakeSide, Channels: 1, Latent: fakeLatent, Widths: []int{4},
		Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
}

func newFakeServer(t *testing.T, opt Options) (*Server, http.Handler) {
	t.Helper()
	return newFakeRun(t, fakeConfig(), fakeDecoder{}, opt)
}

// newFakeRun serves the fake run of cfg (its classes a, b and c), decoded
// by dec.
func newFakeRun(t *testing.T, cfg models.Config, dec Decoder, opt Options) (*Server, http.Handler) {
	t.Helper()
	s, err := New(Run{Name: "fake", Step: 7, Config: cfg, Decoder: dec, Model: fakeModel{},
		Test: fakeTest(), Classes: []string{"a", "b", "c"}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, s.Handler()
}

func do(h http.Handler, method, path, ctype, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body, err)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInfo(t *testing.T) {
	s, h := newFakeServer(t, Options{})
	var got infoResponse
	decodeBody(t, do(h, "GET", "/api/info", "", ""), &got)
	if got.Latent != 3 || got.Height != 4 || got.TestImages != fakeN || got.Step != 7 || got.DecodeBatch != 4 {
		t.Errorf("info %+v", got)
	}
	if len(got.Dims) != 3 || !slices.IsSortedFunc(got.Dims, func(a, b dim) int { return -cmpFloat(a.Variance, b.Variance) }) {
		t.Errorf("dims %+v: want all 3, by variance descending", got.Dims)
	}
	if !strings.Contains(got.Map.How, "principal components") || len(got.Map.Axes) != 2 || len(got.Map.Origin) != 3 {
		t.Errorf("map %+v: want PCA axes for a 3-D latent", got.Map)
	}
	// The map's way back: the origin plus a point's coordinates along the
	// axes projects back onto that point.
	p := s.points[5]
	code := make([]float32, 3)
	for j := range code {
		code[j] = float32(got.Map.Origin[j] + p[0]*got.Map.Axes[0][j] + p[1]*got.Map.Axes[1][j])
	}
	if q := s.proj.project(code)[0]; math.Abs(q[0]-p[0]) > 1e-4 || math.Abs(q[1]-p[1]) > 1e-4 {
		t.Errorf("map position %v decodes to a code projecting to %v", p, q)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestPointsAndTestImage(t *testing.T) {
	s, h := newFakeServer(t, Options{})
	var pts pointsResponse
	decodeBody(t, do(h, "GET", "/api/points", "", ""), &pts)
	if len(pts.X) != fakeN || len(pts.Y) != fakeN || !slices.Equal(pts.Labels, s.run.Test.Labels) {
		t.Fatalf("points %+v", pts)
	}
	var ti testResponse
	decodeBody(t, do(h, "GET", "/api/test/4", "", ""), &ti)
	mean, _, _ := fakeModel{}.Encode(s.run.Test.Image(4), nil)
	if ti.Index != 4 || ti.Label != 1 || !slices.Equal(ti.Mean, mean) || !slices.Equal(ti.Image, pixelBytes(s.run.Test.Image(4))) {
		t.Errorf("test image 4: %+v", ti)
	}
	if float32(ti.Map[0]) != pts.X[4] || float32(ti.Map[1]) != pts.Y[4] {
		t.Errorf("test image 4 at %v, its point at (%v, %v)", ti.Map, pts.X[4], pts.Y[4])
	}
	for _, bad := range []string{"-1", "12", "x", "1.5"} {
		rec := do(h, "GET", "/api/test/"+bad, "", "")
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "want an index from 0 to 11") {
			t.Errorf("test image %s: %d %s", bad, rec.Code, rec.Body)
		}
	}
}

func TestDecode(t *testing.T) {
	_, h := newFakeServer(t, Options{})
	var one struct{ Image []int }
	decodeBody(t, do(h, "POST", "/api/decode", "", `{"z":[1,-2,30]}`), &one)
	want, _ := fakeDecoder{}.Decode([]float32{1, -2, 30}, nil)
	if !slices.Equal(one.Image, pixelBytes(want)) {
		t.Errorf("decode: got %v, want %v", one.Image, pixelBytes(want))
	}
	var many struct{ Images [][]int }
	decodeBody(t, do(h, "POST", "/api/decode", jsonType, `{"zs":[[0,0,0],[1,-2,30],[1,1,1]]}`), &many)
	if len(many.Images) != 3 || !slices.Equal(many.Images[1], one.Image) {
		t.Errorf("batch decode: %v", many.Images)
	}
}

func TestEncode(t *testing.T) {
	s, h := newFakeServer(t, Options{})
	img := s.run.Test.Image(6)
	var byJSON encodeResponse
	decodeBody(t, do(h, "POST", "/api/encode", jsonType, jsonOf(t, map[string]any{"pixels": img, "k": 3})), &byJSON)
	mean, logVar, _ := fakeModel{}.Encode(img, nil)
	recon, _ := fakeDecoder{}.Decode(mean, nil)
	if !slices.Equal(byJSON.Mean, mean) || !slices.Equal(byJSON.LogVar, logVar) || !slices.Equal(byJSON.Reconstruction, pixelBytes(recon)) {
		t.Errorf("encode: %+v", byJSON)
	}
	scores := fakeScores(s.run.Test)
	if want := scores[6]; byJSON.Score != want || byJSON.Percentile != percentAtOrBelow(scores, want) {
		t.Errorf("score %v (percentile %v), want test image 6's %v (percentile %v)", byJSON.Score, byJSON.Percentile, want, percentAtOrBelow(scores, want))
	}
	for _, v := range []float32{0, 0.45, 0.5, 1} { // below, between and above the test images' scores
		pix := slices.Repeat([]float32{v}, fakeSize)
		var r encodeResponse
		decodeBody(t, do(h, "POST", "/api/encode", jsonType, jsonOf(t, map[string]any{"pixels": pix})), &r)
		want := 10*float64(v)*fakeSize + 1
		if math.Abs(r.Score-want) > 1e-4 || r.Percentile != percentAtOrBelow(scores, r.Score) {
			t.Errorf("image of pixels %v: score %v (percentile %v), want %v (percentile %v)", v, r.Score, r.Percentile, want, percentAtOrBelow(scores, r.Score))
		}
	}
	var ti testResponse
	decodeBody(t, do(h, "GET", "/api/test/3", "", ""), &ti)
	if ti.Score != scores[3] || ti.Percentile != percentAtOrBelow(scores, scores[3]) {
		t.Errorf("test image 3: score %v (percentile %v), want %v (percentile %v)", ti.Score, ti.Percentile, scores[3], percentAtOrBelow(scores, scores[3]))
	}
	if len(byJSON.Neighbors) != 3 || byJSON.Neighbors[0].Index != 6 || byJSON.Neighbors[0].Distance != 0 {
		t.Errorf("neighbours %+v: want 3, test image 6 first at distance 0", byJSON.Neighbors)
	}
	if byJSON.Map != s.points[6] {
		t.Errorf("map position %v, test image 6 is at %v", byJSON.Map, s.points[6])
	}
	var byPNG encodeResponse
	decodeBody(t, do(h, "POST", "/api/encode?k=2", "image/png", pngOf(t, img, fakeSide, fakeSide)), &byPNG)
	if len(byPNG.Neighbors) != 2 || byPNG.Neighbors[0].Index != 6 {
		t.Errorf("PNG upload: neighbours %+v, want 2 with test image 6 first", byPNG.Neighbors)
	}
	for j := range mean {
		if math.Abs(float64(byPNG.Mean[j]-mean[j])) > 0.05 { // 8-bit pixels
			t.Errorf("PNG upload: mean %v, want %v", byPNG.Mean, mean)
		}
	}
}

// fakeScores is fakeModel's negative ELBO of each of test's images, one
// image at a time.
func fakeScores(test *data.Split) []float64 {
	out := make([]float64, test.N)
	for i := range out {
		recon, kl, _ := fakeModel{}.SharedELBO(test.Image(i), nil, 1, 0)
		out[i] = recon[0] + kl[0]
	}
	return out
}

// percentAtOrBelow counts, one by one, the scores at or below x, as a
// percentage of all.
func percentAtOrBelow(scores []float64, x float64) float64 {
	n := 0
	for _, v := range scores {
		if v <= x {
			n++
		}
	}
	return 100 * float64(n) / float64(len(scores))
}

// pngOf encodes grey pixels in [0, 1] as a PNG.
func pngOf(t *testing.T, pixels []float32, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range pixels {
		img.Pix[i] = uint8(math.Round(float64(v) * 255))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestNeighbors(t *testing.T) {
	s, h := newFakeServer(t, Options{})
	var got struct{ Neighbors []neighbor }
	body := jsonOf(t, map[string]any{"z": s.means[9*3 : 10*3]})
	decodeBody(t, do(h, "POST", "/api/neighbors", "", body), &got)
	if len(got.Neighbors) != defaultK || got.Neighbors[0].Index != 9 || got.Neighbors[0].Label != 0 {
		t.Fatalf("neighbours %+v: want %d, test image 9 first", got.Neighbors, defaultK)
	}
	for i := 1; i < len(got.Neighbors); i++ {
		if got.Neighbors[i].Distance < got.Neighbors[i-1].Distance {
			t.Errorf("neighbours not nearest first: %+v", got.Neighbors)
		}
	}
}

func TestInterpolate(t *testing.T) {
	s, h := newFakeServer(t, Options{})
	var got interpolateResponse
	decodeBody(t, do(h, "POST", "/api/interpolate", "", `{"from_index":2,"to":[1,2,3],"frames":5,"method":"lerp"}`), &got)
	if got.Method != "lerp" || len(got.Frames) != 5 || len(got.Codes) != 5 {
		t.Fatalf("interpolate: %+v", got)
	}
	if !slices.Equal(got.Codes[0], s.means[6:9]) || !slices.Equal(got.Codes[4], []float32{1, 2, 3}) {
		t.Errorf("ends %v … %v, want test image 2's mean … [1 2 3]", got.Codes[0], got.Codes[4])
	}
	mid, _ := fakeDecoder{}.Decode(got.Codes[2], nil)
	if !slices.Equal(got.Frames[2], pixelBytes(mid)) {
		t.Errorf("frame 2 is not its code decoded")
	}
	rec := do(h, "POST", "/api/interpolate", "", `{"from_index":0,"to_index":1,"frames":4,"format":"gif","loop":true,"scale":2}`)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/gif" {
		t.Fatalf("GIF: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	g, err := gif.DecodeAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 6 || g.Config.Width != 2*fakeSide || g.Delay[0] != 8 {
		t.Errorf("GIF: %d frames of width %d, delay %d; want 6 (4 there and back), %d, 8", len(g.Image), g.Config.Width, g.Delay[0], 2*fakeSide)
	}
}

// TestBadRequests sends every kind of bad request: each gets a 4xx JSON
// error naming the problem, and the server answers a good request after.
func TestBadRequests(t *testing.T) {
	s, h := newFakeServer(t, Options{MaxBody: 4096})
	img := jsonOf(t, s.run.Test.Image(0))
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, fakeSide, fakeSide)), nil); err != nil {
		t.Fatal(err)
	}
	big := pngOf(t, make([]float32, 25), 5, 5)
	tests := []struct {
		name, method, path, ctype, body string
		status                          int
		want                            string
	}{
		{"malformed JSON", "POST", "/api/decode", "", `{"z":[1,2`, 400, "malformed JSON"},
		{"not an object", "POST", "/api/decode", "", `[1,2,3]`, 400, "want an object"},
		{"empty body", "POST", "/api/decode", "", ``, 400, "empty request body"},
		{"trailing data", "POST", "/api/decode", "", `{"z":[1,2,3]} {}`, 400, "more data after the object"},
		{"unknown field", "POST", "/api/decode", "", `{"z":[1,2,3],"class":4}`, 400, `unknown field "class"`},
		{"wrong type", "POST", "/api/decode", "", `{"z":"abc"}`, 400, `field "z"`},
		{"short code", "POST", "/api/decode", "", `{"z":[1,2]}`, 400, "z has 2 values, but the latent has 3 dimensions"},
		{"long code in batch", "POST", "/api/decode", "", `{"zs":[[1,2,3],[1,2,3,4]]}`, 400, "zs[1] has 4 values"},
		{"NaN", "POST", "/api/decode", "", `{"z":[NaN,0,0]}`, 400, "no NaN or Infinity"},
		{"Infinity", "POST", "/api/decode", "", `{"z":[0,-Infinity,0]}`, 400, "no NaN or Infinity"},
		{"overflow", "POST", "/api/decode", "", `{"z":[0,1e400,0]}`, 400, `field "z": a JSON number 1e400`},
		{"huge value", "POST", "/api/decode", "", `{"z":[0,0,1e300]}`, 400, "z[2] = 1e+300: want a finite value"},
		{"z and zs", "POST", "/api/decode", "", `{"z":[1,2,3],"zs":[[1,2,3]]}`, 400, `either "z"`},
		{"neither", "POST", "/api/decode", "", `{}`, 400, `either "z"`},
		{"no codes", "POST", "/api/decode", "", `{"zs":[]}`, 400, "zs has 0 codes"},
		{"oversized body", "POST", "/api/decode", "", `{"z":[` + strings.Repeat("0,", 3000) + `0]}`, 413, "over the limit of 4096 bytes"},
		{"pixel count", "POST", "/api/encode", "", `{"pixels":[0.5,0.5]}`, 400, "pixels has 2 values, want 16 (4x4x1"},
		{"pixel range", "POST", "/api/encode", "", `{"pixels":[1.5` + strings.Repeat(",0", 15) + `]}`, 400, "pixels[0] = 1.5: want a value from 0 to 1"},
		{"k too big", "POST", "/api/encode", "", `{"pixels":` + img + `,"k":65}`, 400, "k = 65: want 1 to 64"},
		{"PNG of the wrong size", "POST", "/api/encode", "image/png", big, 400, "the PNG is 5x5 pixels, the model takes 4x4"},
		{"corrupt PNG", "POST", "/api/encode", "image/png", "\x89PNG\r\n\x1a\nnot really", 400, "decoding the PNG"},
		{"JPEG", "POST", "/api/encode", "image/jpeg", jpg.String(), 415, "want a PNG"},
		{"JPEG sniffed", "POST", "/api/encode", "", jpg.String(), 415, "image/jpeg"},
		{"bad k query", "POST", "/api/encode?k=many", "image/png", pngOf(t, s.run.Test.Image(0), 4, 4), 400, "k=\"many\""},
		{"neighbours k", "POST", "/api/neighbors", "", `{"z":[0,0,0],"k":-1}`, 400, "k = -1"},
		{"neighbours code", "POST", "/api/neighbors", "", `{"z":[0,0]}`, 400, "z has 2 values"},
		{"both ends", "POST", "/api/interpolate", "", `{"from":[0,0,0],"from_index":1,"to_index":2}`, 400, `either "from"`},
		{"missing end", "POST", "/api/interpolate", "", `{"from_index":1}`, 400, `either "to"`},
		{"index out of range", "POST", "/api/interpolate", "", `{"from_index":1,"to_index":12}`, 400, "to_index = 12: want 0 to 11"},
		{"method", "POST", "/api/interpolate", "", `{"from_index":1,"to_index":2,"method":"cubic"}`, 400, `"cubic"`},
		{"frames", "POST", "/api/interpolate", "", `{"from_index":1,"to_index":2,"frames":1}`, 400, "frames = 1: want 2 to 256"},
		{"format", "POST", "/api/interpolate", "", `{"from_index":1,"to_index":2,"format":"mp4"}`, 400, `format "mp4"`},
		{"fps", "POST", "/api/interpolate", "", `{"from_index":1,"to_index":2,"format":"gif","fps":101}`, 400, "fps = 101"},
		{"scale", "POST", "/api/interpolate", "", `{"from_index":1,"to_index":2,"scale":-2}`, 400, "scale = -2"},
		{"unknown route", "GET", "/api/nothing", "", ``, 404, "no API route /api/nothing"},
		{"unknown nested route", "POST", "/api/decode/more", "", `{}`, 404, "no API route"},
		{"wrong method", "GET", "/api/decode", "", ``, 405, "use POST"},
		{"wrong method on info", "DELETE", "/api/info", "", ``, 405, "use GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(h, tt.method, tt.path, tt.ctype, tt.body)
			var e struct{ Error string }
			if rec.Code != tt.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || !strings.Contains(e.Error, tt.want) {
				t.Errorf("%s %s: %d %s; want %d and an error containing %q", tt.method, tt.path, rec.Code, rec.Body, tt.status, tt.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != jsonType {
				t.Errorf("Content-Type %q, want %q", ct, jsonType)
			}
		})
	}
	var one struct{ Image []int }
	decodeBody(t, do(h, "POST", "/api/decode", "", `{"z":[0,0,0]}`), &one)
	if len(one.Image) != fakeSize {
		t.Errorf("after the bad requests: %d pixels, want %d", len(one.Image), fakeSize)
	}
}

func TestStatic(t *testing.T) {
	_, h := newFakeServer(t, Options{})
	for _, p := range []string{"/", "/app.js", "/style.css"} {
		rec := do(h, "GET", p, "", "")
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: %d, %d bytes, CSP %q", p, rec.Code, rec.Body.Len(), rec.Header().Get("Content-Security-Policy"))
		}
	}
	if rec := do(h, "GET", "/", "", ""); !strings.Contains(rec.Body.String(), `<canvas id="map"`) {
		t.Error("the page has no map canvas")
	}
	// Nothing outside the embedded files: not the package's sources, not
	// the file system, however the path is written.
	for _, p := range []string{"/serve.go", "/static/app.js", "/../serve.go", "/..%2fserve.go", "/%2e%2e/api.go",
		"/static/../api.go", "/../../go.mod", "/nothing.html"} {
		rec := do(h, "GET", p, "", "")
		body := rec.Body.String()
		if rec.Code == http.StatusOK || strings.Contains(body, "package serve") || strings.Contains(body, "module ") {
			t.Errorf("GET %s: %d %.80q, want no file", p, rec.Code, body)
		}
	}
	if rec := do(h, "POST", "/", "", "x"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d, want 405", rec.Code)
	}
}

func TestNewRejectsBadRuns(t *testing.T) {
	cfg := fakeConfig()
	cond := cfg
	cond.Classes = 3
	one := fakeTest().Subset(1)
	wrong := fakeTest()
	wrong.Height, wrong.Width = 2, 8
	outside := fakeTest()
	outside.Labels[5] = 3
	grid := cfg
	grid.LatentKind = testrun.GridKind
	tests := []struct {
		name string
		run  Run
		want string
	}{
		{"no model", Run{Config: cfg, Decoder: fakeDecoder{}, Test: fakeTest()}, "needs a decoder and a model"},
		{"one test image", Run{Config: cfg, Decoder: fakeDecoder{}, Model: fakeModel{}, Test: one}, "at least 2 test images"},
		{"shape", Run{Config: cfg, Decoder: fakeDecoder{}, Model: fakeModel{}, Test: wrong}, "test images are 2x8x1 but the model takes 4x4x1"},
		{"test label outside the classes", Run{Config: cond, Decoder: fakeDecoder{}, Model: fakeModel{}, Test: outside},
			"test labels: label 3 of item 5 is outside the model's 3 classes"},
		{"class names", Run{Config: cond, Decoder: fakeDecoder{}, Model: fakeModel{}, Test: fakeTest(), Classes: []string{"a", "b"}},
			"2 class names for a model conditional on 3 classes"},
		{"a grid without its encoder to grids", Run{Config: grid, Decoder: fakeDecoder{}, Model: fakeModel{}, Test: fakeTest()},
			"serve: the code-grid explorer: the run gives no grids of its images (Run.Codes)"},
	}
	for _, tt := range tests {
		if _, err := New(tt.run, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestImagePixels(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.NRGBA{255, 255, 255, 255})
	img.Set(1, 0, color.NRGBA{255, 0, 0, 128}) // half-transparent red over black
	grey, rgb := imagePixels(img, 1), imagePixels(img, 3)
	if math.Abs(float64(grey[0])-1) > 1e-4 || math.Abs(float64(grey[1])-0.299*128/255) > 0.01 {
		t.Errorf("grey %v", grey)
	}
	if math.Abs(float64(rgb[3])-128.0/255) > 0.01 || rgb[4] != 0 || rgb[5] != 0 {
		t.Errorf("rgb %v", rgb)
	}
}

// TestDefaultBodyLimit: without Options.MaxBody a server takes request
// bodies of up to 1 MiB, as docs/serve.md says, and refuses a byte more with
// 413; /api/info reports the limit.
func TestDefaultBodyLimit(t *testing.T) {
	_, h := newFakeServer(t, Options{})
	const mib = 1 << 20
	body := func(size int) string { // a valid decode request padded with spaces
		req := `{"z":[0,0,0]}`
		return req + strings.Repeat(" ", size-len(req))
	}
	if rec := do(h, "POST", "/api/decode", jsonType, body(mib)); rec.Code != http.StatusOK {
		t.Errorf("a body of exactly 1 MiB: status %d %s, want 200", rec.Code, rec.Body)
	}
	rec := do(h, "POST", "/api/decode", jsonType, body(mib+1))
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "over the limit of 1048576 bytes") {
		t.Errorf("a body of 1 MiB + 1 byte: status %d %s, want 413 naming the limit of 1048576 bytes", rec.Code, rec.Body)
	}
	var info struct {
		MaxBody int64 `json:"max_body"`
	}
	decodeBody(t, do(h, "GET", "/api/info", "", ""), &info)
	if info.MaxBody != mib {
		t.Errorf("/api/info: max_body %d, want %d", info.MaxBody, mib)
	}
}
