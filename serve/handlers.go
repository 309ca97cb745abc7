package serve

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
)

// infoResponse is GET /api/info.
type infoResponse struct {
	Run         string        `json:"run"`
	Step        int64         `json:"step"`
	Model       models.Config `json:"model"`
	Latent      int           `json:"latent"`
	Height      int           `json:"height"`
	Width       int           `json:"width"`
	Channels    int           `json:"channels"`
	Dims        []dim         `json:"dims"` // most active first
	Map         mapInfo       `json:"map"`
	TestImages  int           `json:"test_images"`
	Conditional bool          `json:"conditional"` // requests to decode or encode then take a "label"
	Classes     []string      `json:"classes"`
	DecodeBatch int           `json:"decode_batch"`
	Priors      []string      `json:"priors"` // what POST /api/sample draws from; empty: no sampling
	MaxBody     int64         `json:"max_body"`
	// Scores says how images are scored: the same z draws for every image.
	Scores string `json:"scores"`
	// Grid is a discrete run's code grid: the page then shows it in place
	// of the map and sliders. Absent for a continuous run.
	Grid *gridInfo `json:"grid,omitempty"`
}

// mapInfo says how the map was made and how to go from a map position back
// to a code.
type mapInfo struct {
	How    string      `json:"how"`
	XLabel string      `json:"x_label"`
	YLabel string      `json:"y_label"`
	Origin []float64   `json:"origin"` // a map position (x, y) is the code origin + x·axes[0] + y·axes[1]
	Axes   [][]float64 `json:"axes"`
	Kind   string      `json:"kind"` // "linear", or "tsne" or "umap": no origin or axes, no way back
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) error {
	m := s.run.Config
	if g := s.grid; g != nil {
		writeJSON(w, http.StatusOK, infoResponse{
			Run: s.run.Name, Step: s.run.Step, Model: m, Latent: s.latent, Height: m.Height, Width: m.Width, Channels: m.Channels,
			Dims: []dim{}, TestImages: s.run.Test.N, Conditional: m.Conditional(), Classes: s.run.Classes,
			DecodeBatch: s.run.Decoder.Batch(), MaxBody: s.opt.MaxBody, Priors: s.priors(),
			Grid: &gridInfo{Height: g.height, Width: g.width, Codes: g.codes, Used: g.used},
		})
		return nil
	}
	writeJSON(w, http.StatusOK, infoResponse{
		Run: s.run.Name, Step: s.run.Step, Model: m, Latent: s.latent,
		Height: m.Height, Width: m.Width, Channels: m.Channels, Dims: s.dims,
		Map: mapInfo{How: s.proj.How, XLabel: s.proj.XLabel, YLabel: s.proj.YLabel, Origin: s.proj.Origin, Axes: s.proj.Axes,
			Kind: cmp.Or(s.proj.Kind, "linear")},
		TestImages: s.run.Test.N, Conditional: m.Conditional(), Classes: s.run.Classes, DecodeBatch: s.run.Decoder.Batch(), MaxBody: s.opt.MaxBody,
		Priors: s.priors(), Scores: s.scoresNote(),
	})
	return nil
}

// scoresNote says how the server scores images, for the page.
func (s *Server) scoresNote() string {
	return fmt.Sprintf("−ELBO with %d z draw(s) from seed %d, the same draws for every image: "+
		"an image scores the same, to 0.001 nats, however it arrives (test image, upload, drawing)", scoreSamples, s.opt.Seed)
}

// pointsResponse is GET /api/points: test image i is at (X[i], Y[i]).
type pointsResponse struct {
	X      []float32 `json:"x"`
	Y      []float32 `json:"y"`
	Labels []int     `json:"labels"`
}

func (s *Server) pointsRoute(w http.ResponseWriter, _ *http.Request) error {
	p := pointsResponse{X: make([]float32, len(s.points)), Y: make([]float32, len(s.points)), Labels: s.run.Test.Labels}
	for i, xy := range s.points {
		p.X[i], p.Y[i] = float32(xy[0]), float32(xy[1])
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// testResponse is GET /api/test/{index}.
type testResponse struct {
	Index      int        `json:"index"`
	Label      int        `json:"label"`
	Image      []int      `json:"image"`
	Mean       []float32  `json:"mean"`
	LogVar     []float32  `json:"logvar"`
	Map        [2]float64 `json:"map"`
	Score      float64    `json:"score"`
	Percentile float64    `json:"percentile"`
}

func (s *Server) testImage(w http.ResponseWriter, r *http.Request) error {
	i, err := s.testIndex(r)
	if err != nil {
		return err
	}
	l := s.latent
	writeJSON(w, http.StatusOK, testResponse{Index: i, Label: s.run.Test.Labels[i],
		Image: pixelBytes(s.run.Test.Image(i)), Mean: s.means[i*l : (i+1)*l], LogVar: s.logVars[i*l : (i+1)*l],
		Map: s.points[i], Score: s.scores[i], Percentile: percentile(s.sorted, s.scores[i])})
	return nil
}

// testIndex is the test image that r's path names, or a 404 error.
func (s *Server) testIndex(r *http.Request) (int, error) {
	v := r.PathValue("index")
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= s.run.Test.N {
		return 0, &httpError{http.StatusNotFound, fmt.Sprintf("test image %q: want an index from 0 to %d", v, s.run.Test.N-1)}
	}
	return i, nil
}

// decodeRequest is POST /api/decode: one code or a batch, and for a
// conditional run the class every code is decoded as.
type decodeRequest struct {
	Z     []float64   `json:"z"`
	Zs    [][]float64 `json:"zs"`
	Label *int        `json:"label"`
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request) error {
	var req decodeRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	switch {
	case (req.Z == nil) == (req.Zs == nil):
		return badRequest(`give either "z" (one code) or "zs" (a list of codes)`)
	case req.Zs != nil && (len(req.Zs) == 0 || len(req.Zs) > maxCodes):
		return badRequest("zs has %d codes: want 1 to %d", len(req.Zs), maxCodes)
	}
	single := req.Zs == nil
	if single {
		req.Zs = [][]float64{req.Z}
	}
	codes := make([]float32, 0, len(req.Zs)*s.latent)
	for i, z := range req.Zs {
		name := "z"
		if !single {
			name = fmt.Sprintf("zs[%d]", i)
		}
		c, err := checkCode(name, z, s.latent)
		if err != nil {
			return err
		}
		if s.grid != nil {
			if err := s.grid.checkIndices(name, c); err != nil {
				return err
			}
		}
		codes = append(codes, c...)
	}
	labels, err := s.requestLabels(req.Label, nil, len(req.Zs))
	if err != nil {
		return err
	}
	images, err := s.decoder.Decode(r.Context(), codes, labels)
	if err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	out := s.split(images)
	if single {
		writeJSON(w, http.StatusOK, map[string][]int{"image": out[0]})
	} else {
		writeJSON(w, http.StatusOK, map[string][][]int{"images": out})
	}
	return nil
}

// split cuts decoded images into one byte list each.
func (s *Server) split(images []float32) [][]int {
	size := s.imageSize()
	out := make([][]int, len(images)/size)
	for i := range out {
		out[i] = pixelBytes(images[i*size : (i+1)*size])
	}
	return out
}

// encodeRequest is POST /api/encode given as JSON. A PNG body takes k
// and label from the query.
type encodeRequest struct {
	Pixels []float64 `json:"pixels"` // H×W×C values in [0, 1], row by row
	K      int       `json:"k"`
	Label  *int      `json:"label"` // the class a conditional run encodes, scores and reconstructs the image as
}

// encodeResponse is POST /api/encode's answer.
type encodeResponse struct {
	Mean           []float32  `json:"mean"`
	LogVar         []float32  `json:"logvar"`
	Reconstruction []int      `json:"reconstruction"`
	Map            [2]float64 `json:"map"`
	Score          float64    `json:"score"` // negative ELBO, nats
	Percentile     float64    `json:"percentile"`
	Neighbors      []neighbor `json:"neighbors"`
}

func (s *Server) encode(w http.ResponseWriter, r *http.Request) error {
	req, err := s.readImage(r)
	if err != nil {
		return err
	}
	img := req.img
	k, err := checkK(req.k)
	if err != nil {
		return err
	}
	label, err := s.requestLabels(req.label, nil, 1)
	if err != nil {
		return err
	}
	s.mu.Lock()
	mean, logVar, err := s.run.Model.Encode(img, label)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encoding the image: %w", err)
	}
	score, pct, err := s.scoreOf(img, label)
	if err != nil {
		return err
	}
	recon, err := s.decoder.Decode(r.Context(), mean, label)
	if err != nil {
		return fmt.Errorf("decoding the image's mean: %w", err)
	}
	nbs, err := s.nearest(mean, k)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, encodeResponse{Mean: mean, LogVar: logVar, Reconstruction: pixelBytes(recon),
		Map: s.mapPosition(mean, nbs), Score: score, Percentile: pct, Neighbors: nbs})
	return nil
}

// mapPosition is where a code goes on the map: its projection, or on a
// t-SNE or UMAP map that of its nearest test image (nbs, nearest first).
func (s *Server) mapPosition(code []float32, nbs []neighbor) [2]float64 {
	if s.proj.Kind != "" && len(nbs) > 0 {
		return s.points[nbs[0].Index]
	}
	return s.proj.project(code)[0]
}

// imageRequest is POST /api/encode's image and options.
type imageRequest struct {
	img   []float32
	k     int
	label *int
}

// readImage reads POST /api/encode's image: a PNG body of the model's size
// (k and label from the query), or JSON pixels.
func (s *Server) readImage(r *http.Request) (imageRequest, error) {
	body, err := readBody(r)
	if err != nil {
		return imageRequest{}, err
	}
	ct := mediaType(r)
	sniffed := http.DetectContentType(body)
	switch {
	case ct == "image/png" || bytes.HasPrefix(body, []byte(pngMagic)):
		return s.readPNG(r, body)
	case strings.HasPrefix(ct, "image/") || strings.HasPrefix(sniffed, "image/"):
		return imageRequest{}, &httpError{http.StatusUnsupportedMediaType,
			fmt.Sprintf("image type %s: want a PNG (image/png) or JSON pixels", cmp.Or(ct, sniffed))}
	}
	var req encodeRequest
	if err := decodeJSON(body, &req); err != nil {
		return imageRequest{}, err
	}
	img, err := s.checkPixels(req.Pixels)
	return imageRequest{img: img, k: req.K, label: req.Label}, err
}

// readPNG reads a PNG body, with k and label from the query.
func (s *Server) readPNG(r *http.Request, body []byte) (imageRequest, error) {
	k, err := queryInt(r, "k")
	if err != nil {
		return imageRequest{}, err
	}
	var label *int
	if r.URL.Query().Has("label") {
		l, err := queryInt(r, "label")
		if err != nil {
			return imageRequest{}, err
		}
		label = &l
	}
	img, err := s.pngPixels(body)
	return imageRequest{img: img, k: k, label: label}, err
}

// checkPixels converts JSON pixels, checking their count and range.
func (s *Server) checkPixels(p []float64) ([]float32, error) {
	m := s.run.Config
	if len(p) != s.imageSize() {
		return nil, badRequest("pixels has %d values, want %d (%dx%dx%d, height×width×channels)",
			len(p), s.imageSize(), m.Height, m.Width, m.Channels)
	}
	out := make([]float32, len(p))
	for i, v := range p {
		if !(v >= 0 && v <= 1) {
			return nil, badRequest("pixels[%d] = %g: want a value from 0 to 1", i, v)
		}
		out[i] = float32(v)
	}
	return out, nil
}

// pngPixels decodes a PNG of exactly the model's size into pixels:
// transparent parts over black, grey as luma for a 1-channel model.
func (s *Server) pngPixels(body []byte) ([]float32, error) {
	m := s.run.Config
	cfg, err := png.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return nil, badRequest("decoding the PNG: %v", err)
	}
	if cfg.Width != m.Width || cfg.Height != m.Height {
		return nil, badRequest("the PNG is %dx%d pixels, the model takes %dx%d (width×height)",
			cfg.Width, cfg.Height, m.Width, m.Height)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, badRequest("decoding the PNG: %v", err)
	}
	return imagePixels(img, m.Channels), nil
}

// imagePixels returns img's pixels, premultiplied (over black), as HWC
// values in [0, 1] with 1 (luma, color.GrayModel's weights) or 3 channels.
func imagePixels(img image.Image, channels int) []float32 {
	b := img.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy()*channels)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBA64Model.Convert(img.At(x, y)).(color.RGBA64)
			r, g, bl := float32(c.R), float32(c.G), float32(c.B)
			if channels == 1 {
				out = append(out, (19595*r+38470*g+7471*bl)/(65536*65535))
			} else {
				out = append(out, r/65535, g/65535, bl/65535)
			}
		}
	}
	return out
}

// neighborsRequest is POST /api/neighbors.
type neighborsRequest struct {
	Z []float64 `json:"z"`
	K int       `json:"k"`
}

func (s *Server) neighbors(w http.ResponseWriter, r *http.Request) error {
	var req neighborsRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	z, err := checkCode("z", req.Z, s.latent)
	if err != nil {
		return err
	}
	k, err := checkK(req.K)
	if err != nil {
		return err
	}
	nbs, err := s.nearest(z, k)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]neighbor{"neighbors": nbs})
	return nil
}

// interpolateRequest is POST /api/interpolate: each end is a code or a
// test image's index. A conditional run decodes every frame as label,
// by default the start's label when the start is a test image.
type interpolateRequest struct {
	From      []float64 `json:"from"`
	To        []float64 `json:"to"`
	FromIndex *int      `json:"from_index"`
	ToIndex   *int      `json:"to_index"`
	Label     *int      `json:"label"`
	Method    string    `json:"method"` // slerp (default) or lerp
	Frames    int       `json:"frames"` // both ends included; default 16
	Format    string    `json:"format"` // json (default) or gif
	FPS       int       `json:"fps"`    // gif only; default 12
	Loop      bool      `json:"loop"`   // gif only: forward then back
	Scale     int       `json:"scale"`  // gif only; default 3
}

// interpolateResponse is POST /api/interpolate's JSON answer.
type interpolateResponse struct {
	Method string      `json:"method"`
	Codes  [][]float32 `json:"codes"`
	Frames [][]int     `json:"frames"`
}

func (s *Server) interpolate(w http.ResponseWriter, r *http.Request) error {
	var req interpolateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if err := req.defaults(); err != nil {
		return err
	}
	method, err := generate.ParseMethod(req.Method)
	if err != nil {
		return badRequest("method: %v", err)
	}
	from, err := s.endpoint("from", req.From, req.FromIndex)
	if err != nil {
		return err
	}
	to, err := s.endpoint("to", req.To, req.ToIndex)
	if err != nil {
		return err
	}
	var startLabel *int
	if req.FromIndex != nil {
		startLabel = &s.run.Test.Labels[*req.FromIndex]
	}
	labels, err := s.requestLabels(req.Label, startLabel, req.Frames)
	if err != nil {
		return err
	}
	codes := method.Path(from, to, req.Frames)
	images, err := s.decoder.Decode(r.Context(), codes, labels)
	if err != nil {
		return fmt.Errorf("decoding the frames: %w", err)
	}
	if req.Format == "gif" {
		return s.writeGIF(w, images, req)
	}
	resp := interpolateResponse{Method: string(method), Frames: s.split(images)}
	for i := range req.Frames {
		resp.Codes = append(resp.Codes, codes[i*s.latent:(i+1)*s.latent])
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// defaults fills in and checks the request's options.
func (q *interpolateRequest) defaults() error {
	q.Method = cmp.Or(q.Method, string(generate.MethodSlerp))
	q.Format = cmp.Or(q.Format, "json")
	if q.Frames == 0 {
		q.Frames = defaultFrames
	}
	if q.FPS == 0 {
		q.FPS = defaultFPS
	}
	if q.Scale == 0 {
		q.Scale = gifScale
	}
	switch {
	case q.Format != "json" && q.Format != "gif":
		return badRequest("format %q: want json or gif", q.Format)
	case q.Frames < 2 || q.Frames > maxFrames:
		return badRequest("frames = %d: want 2 to %d", q.Frames, maxFrames)
	case q.FPS < 1 || q.FPS > generate.MaxFPS:
		return badRequest("fps = %d: want 1 to %d", q.FPS, generate.MaxFPS)
	case q.Scale < 1 || q.Scale > maxScale:
		return badRequest("scale = %d: want 1 to %d", q.Scale, maxScale)
	}
	return nil
}

// endpoint returns an interpolation end given as a code or a test index.
func (s *Server) endpoint(name string, z []float64, index *int) ([]float32, error) {
	switch {
	case (z == nil) == (index == nil):
		return nil, badRequest("give either %q (a code) or %q (a test image's index)", name, name+"_index")
	case index != nil && (*index < 0 || *index >= s.run.Test.N):
		return nil, badRequest("%s_index = %d: want 0 to %d", name, *index, s.run.Test.N-1)
	case index != nil:
		return s.means[*index*s.latent : (*index+1)*s.latent], nil
	}
	return checkCode(name, z, s.latent)
}

// writeGIF answers with the frames as the GIF `latent interpolate` writes.
func (s *Server) writeGIF(w http.ResponseWriter, images []float32, q interpolateRequest) error {
	m := s.run.Config
	size := s.imageSize()
	frames := make([]image.Image, len(images)/size)
	for i := range frames {
		frames[i] = generate.Grid(images[i*size:(i+1)*size], 1, m.Height, m.Width, m.Channels, 1, q.Scale)
	}
	if q.Loop {
		frames = generate.PingPong(frames)
	}
	var buf bytes.Buffer
	if err := generate.EncodeGIF(&buf, frames, generate.Delay(q.FPS), 0); err != nil {
		return fmt.Errorf("encoding the GIF: %w", err)
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Content-Disposition", `attachment; filename="interpolation.gif"`)
	_, err := w.Write(buf.Bytes())
	return err
}

// priors are the priors POST /api/sample draws from: none without a sampler.
func (s *Server) priors() []string {
	if s.run.Sample == nil {
		return []string{}
	}
	return s.run.Priors
}

// sampleRequest is POST /api/sample: a code drawn from one of the run's
// priors with a seed (the same seed, the same code), for a conditional run
// as the class given.
type sampleRequest struct {
	Prior string `json:"prior"`
	Seed  int64  `json:"seed"`
	Label *int   `json:"label"`
}

func (s *Server) sample(w http.ResponseWriter, r *http.Request) error {
	var req sampleRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if !slices.Contains(s.priors(), req.Prior) {
		return badRequest("prior %q: want one of %v", req.Prior, s.priors())
	}
	labels, err := s.requestLabels(req.Label, nil, 1)
	if err != nil {
		return err
	}
	label := 0
	if labels != nil {
		label = labels[0]
	}
	s.mu.Lock()
	z, err := s.run.Sample(req.Prior, req.Seed, label)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("drawing from the %s prior: %w", req.Prior, err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"z": z, "prior": req.Prior})
	return nil
}
