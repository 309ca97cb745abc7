package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/embedding"
)

// Limits of one request.
const (
	maxCodes      = 256 // codes in one decode request
	maxK          = 64  // neighbours in one request
	maxFrames     = 256 // frames of one interpolation
	maxScale      = 16  // GIF upscaling
	maxAbsValue   = 1e6 // |latent value|
	defaultK      = 8   // neighbours when k is not given
	defaultFPS    = 12  // GIF frame rate when fps is not given
	defaultFrames = 16  // interpolation frames when frames is not given
	gifScale      = 3   // GIF upscaling when scale is not given, as the CLI's --scale
	scoreSamples  = 1   // z draws per ELBO score, as `latent anomaly`'s default
	pngMagic      = "\x89PNG\r\n\x1a\n"
	jsonType      = "application/json"
	problemHint   = " (JSON has no NaN or Infinity: every number must be finite)"
)

// route is one API endpoint.
type route struct {
	method, path string
	handle       func(w http.ResponseWriter, r *http.Request) error
}

// routes lists the API: a discrete run's (gridRoutes), or the map's.
func (s *Server) routes() []route {
	if s.grid != nil {
		return s.gridRoutes()
	}
	return []route{
		{"GET", "/api/info", s.info},
		{"GET", "/api/points", s.pointsRoute},
		{"GET", "/api/test/{index}", s.testImage},
		{"POST", "/api/decode", s.decode},
		{"POST", "/api/encode", s.encode},
		{"POST", "/api/neighbors", s.neighbors},
		{"POST", "/api/interpolate", s.interpolate},
		{"POST", "/api/sample", s.sample},
	}
}

// httpError is a request's problem and its HTTP status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// badRequest is a 400 error.
func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// handler turns an API function into an HTTP handler that answers its
// error as JSON {"error": "..."}: the httpError's status, else 500.
func handler(f func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		status := http.StatusInternalServerError
		var he *httpError
		if errors.As(err, &he) {
			status = he.status
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
	}
}

// writeJSON writes v as the JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"encoding the response: `+jsonEscape(err.Error())+`"}`)
	}
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// jsonEscape returns s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// notFound answers every /api/ path no route serves: 405 naming the
// allowed method when the path exists, else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	for _, rt := range s.routes() {
		if pathMatches(rt.path, r.URL.Path) {
			w.Header().Set("Allow", rt.method)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{
				"error": fmt.Sprintf("%s %s: method not allowed, use %s", r.Method, r.URL.Path, rt.method)})
			return
		}
	}
	paths := make([]string, 0, len(s.routes()))
	for _, rt := range s.routes() {
		paths = append(paths, rt.method+" "+rt.path)
	}
	writeJSON(w, http.StatusNotFound, map[string]string{
		"error": fmt.Sprintf("no API route %s; the routes are %s", r.URL.Path, strings.Join(paths, ", "))})
}

// pathMatches reports whether path fits pattern, whose {name} segments match
// any one non-empty segment.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !(ps[i] == xs[i] || strings.HasPrefix(ps[i], "{") && xs[i] != "") {
			return false
		}
	}
	return true
}

// readJSON decodes the body, one JSON object with only known fields, into v.
func readJSON(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeJSON decodes body, one JSON object with only known fields, into v.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("empty request body: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("%s", jsonProblem(err, body))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("malformed JSON: more data after the object")
	}
	return nil
}

// readBody reads the whole body, naming the limit when it is over it.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &httpError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body over the limit of %d bytes", tooBig.Limit)}
	}
	if err != nil {
		return nil, badRequest("reading the request body: %v", err)
	}
	return body, nil
}

// jsonProblem describes a JSON decoding error for the client.
func jsonProblem(err error, body []byte) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		msg := fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
		if bytes.Contains(body, []byte("NaN")) || bytes.Contains(body, []byte("Infinity")) {
			msg += problemHint
		}
		return msg
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("malformed JSON: want an object, got a JSON %s", typ.Value)
		}
		return fmt.Sprintf("field %q: a JSON %s cannot be a %v", typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends inside a value"
	}
	return "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// checkCode converts a latent code given as field name to float32,
// checking its length and that every value is finite and in range.
func checkCode(name string, z []float64, latent int) ([]float32, error) {
	if len(z) != latent {
		return nil, badRequest("%s has %d values, but the latent has %d dimensions", name, len(z), latent)
	}
	out := make([]float32, latent)
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxAbsValue {
			return nil, badRequest("%s[%d] = %g: want a finite value within ±%g", name, i, v, maxAbsValue)
		}
		out[i] = float32(v)
	}
	return out, nil
}

// checkK returns the neighbour count k, defaulting 0 to defaultK.
func checkK(k int) (int, error) {
	if k == 0 {
		return defaultK, nil
	}
	if k < 1 || k > maxK {
		return 0, badRequest("k = %d: want 1 to %d neighbours", k, maxK)
	}
	return k, nil
}

// pixelBytes maps image values in [0, 1] to bytes, rounding and clamping
// (NaN is 0), as PNGs and GIFs of them show them.
func pixelBytes(v []float32) []int {
	out := make([]int, len(v))
	for i, x := range v {
		switch {
		case !(x > 0):
			out[i] = 0
		case x >= 1:
			out[i] = 255
		default:
			out[i] = int(x*255 + 0.5)
		}
	}
	return out
}

// mediaType is the request's Content-Type without parameters ("" if none).
func mediaType(r *http.Request) string {
	t, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return t
}

// queryInt reads an integer query parameter; absent is 0.
func queryInt(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("query parameter %s=%q: want an integer", name, v)
	}
	return n, nil
}

// neighbor is a test image near a code.
type neighbor struct {
	Index    int     `json:"index"`
	Label    int     `json:"label"`
	Distance float64 `json:"distance"`
	Image    []int   `json:"image"`
}

// nearest returns the k test images whose means are nearest z.
func (s *Server) nearest(z []float32, k int) ([]neighbor, error) {
	found, err := embedding.Nearest(z, s.means, k)
	if err != nil {
		return nil, err
	}
	out := make([]neighbor, len(found))
	for i, nb := range found {
		out[i] = neighbor{Index: nb.Index, Label: s.run.Test.Labels[nb.Index], Distance: nb.Distance,
			Image: pixelBytes(s.run.Test.Image(nb.Index))}
	}
	return out, nil
}

// scoreOf returns the negative ELBO of one image with its label (nil for an
// unconditional model) and its percentile among the test images'.
func (s *Server) scoreOf(image []float32, label []int) (score, pct float64, err error) {
	s.mu.Lock()
	recon, kl, err := s.run.Model.SharedELBO(image, label, scoreSamples, s.opt.Seed)
	s.mu.Unlock()
	if err != nil {
		return 0, 0, fmt.Errorf("scoring the image: %w", err)
	}
	score = recon[0] + kl[0]
	return score, percentile(s.sorted, score), nil
}

// requestLabels returns n copies of a request's class label for a
// conditional model, nil for an unconditional one (which ignores the field).
// A conditional model takes def (a test image's label, or nil) when the
// request gives none, and refuses a missing label or one outside its classes.
func (s *Server) requestLabels(label, def *int, n int) ([]int, error) {
	classes := s.run.Config.Classes
	if classes == 0 {
		return nil, nil
	}
	if label == nil {
		label = def
	}
	if label == nil {
		return nil, badRequest(`the run is conditional on %d classes%s: give "label", the class index (0 to %d) to decode or encode as`,
			classes, s.classList(), classes-1)
	}
	if *label < 0 || *label >= classes {
		return nil, badRequest("label = %d: want a class index 0 to %d%s", *label, classes-1, s.classList())
	}
	return slices.Repeat([]int{*label}, n), nil
}

// classList is " (name, name, …)" naming the run's classes in order, "" when
// it names none.
func (s *Server) classList() string {
	names := s.run.Classes
	switch {
	case len(names) == 0:
		return ""
	case len(names) > 12:
		return fmt.Sprintf(" (%s, … %d in all)", strings.Join(names[:10], ", "), len(names))
	}
	return " (" + strings.Join(names, ", ") + ")"
}
