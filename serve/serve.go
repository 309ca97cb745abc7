// Package serve is latent's latent-space explorer: an HTTP handler serving
// an embedded page (map of the test set's latent means, per-dimension
// sliders, interpolation, draw-or-upload encoding) and the JSON API behind
// it, for one trained run. Concurrent decode requests share graph calls.
package serve

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/embedding"
	"github.com/latent-vae/latent/models"
)

// Decoder maps latent codes to images (NHWC in [0, 1]) through a graph
// compiled for batches of Batch codes; *generate.Decoder is one.
type Decoder interface {
	Decode(codes []float32, labels []int) ([]float32, error)
	Batch() int
}

// Model encodes and scores images; *eval.Model is one.
type Model interface {
	Encode(images []float32, labels []int) (means, logVars []float32, err error)
	// SharedELBO scores images with draws that depend on the seed only,
	// never on an image's place among others (see eval.Model.SharedELBO).
	SharedELBO(images []float32, labels []int, samples int, seed int64) (recon, kl []float64, err error)
}

// Run is what the explorer shows: a trained model and a test split. A
// conditional model (Config.Classes > 0) encodes and scores each test image
// with its own label, and decodes each request's codes as the class the
// request names.
type Run struct {
	Name    string // how the page names the run, e.g. its folder
	Step    int64  // training step of the checkpoint
	Config  models.Config
	Decoder Decoder
	Model   Model
	Test    *data.Split
	Classes []string // label names (may be empty: labels are shown as numbers); a conditional model's classes
	// Priors names the priors the page can draw random codes from
	// (normal, then the run's fitted ones), and Sample draws one code
	// from prior with seed, as class label for a conditional run. With no
	// Sample, the page has no sample button.
	Priors []string
	Sample func(prior string, seed int64, label int) ([]float32, error)
	// Codes gives each image's code for a discrete run (a VQ model's grid
	// of indices into its codebook, models.Discrete), as float32: the
	// explorer of such a run shows and edits the test images' grids in
	// place of a map and sliders. A continuous run needs none.
	Codes func(images []float32, labels []int) ([]float32, error)
}

// Defaults of Options.
const (
	DefaultWindow  = 2 * time.Millisecond // decode collection window
	DefaultMaxBody = 1 << 20              // bytes of a request body
)

// Options tune a Server; zero fields take the defaults.
type Options struct {
	Window  time.Duration // how long a decode waits for others to share its graph call
	MaxBody int64         // the largest request body accepted, in bytes
	Seed    int64         // seed of the z drawn for ELBO scores, and of a t-SNE map
	// Map is the projection of a latent above 2 dimensions: "pca" (also
	// ""), "tsne" (embedding.TSNE) or "umap" (embedding.UMAP), both seeded by Seed:
	// classes come apart, but a map position has no code of its own (the
	// page shows the nearest test image's).
	Map string
}

// explorer is what of the explorer needs a latent with dimensions, as its
// refusal of one without says.
const explorer = "serve: the explorer (a map of codes, a slider per dimension)"

// Map projections of Options.Map.
const (
	MapPCA  = "pca"
	MapTSNE = "tsne"
	MapUMAP = "umap"
)

// Server is the explorer of one run. Its handler is safe for concurrent use.
type Server struct {
	run     Run
	opt     Options
	latent  int       // the latent's dimensions (models.Dimensions), one slider each
	means   []float32 // test set's posterior means, flat [n*latent]
	logVars []float32
	scores  []float64 // test set's negative ELBO, by index
	sorted  []float64 // scores ascending
	points  [][2]float64
	proj    *projection
	dims    []dim
	decoder *batcher
	grid    *gridView  // a discrete run's grid (then no map, sliders or scores); nil for a continuous run
	mu      sync.Mutex // serializes the Model's graph calls
	release func()     // Open's: frees the decoder and priors it opened
}

// New encodes and scores run's test split (for the map, the sliders'
// order and the anomaly percentiles), or for a discrete run encodes it to
// grids (Run.Codes), and starts the decode batcher. Close stops it.
func New(run Run, opt Options) (*Server, error) {
	if err := checkRun(run); err != nil {
		return nil, err
	}
	if opt.Window <= 0 {
		opt.Window = DefaultWindow
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = DefaultMaxBody
	}
	m := run.Config
	if kind := m.Kind(); !models.Continuous(kind) {
		grid, err := newGridView(run, kind)
		if err != nil {
			return nil, err
		}
		s := &Server{run: run, opt: opt, latent: kind.Code().Size(), grid: grid}
		s.decoder = newBatcher(run.Decoder.Decode, s.latent, m.Height*m.Width*m.Channels, run.Decoder.Batch(), opt.Window)
		return s, nil
	}
	s := &Server{run: run, opt: opt, latent: models.Dimensions(run.Config.Kind())}
	var err error
	images, labels := run.Test.Images(), s.labels(run.Test.Labels)
	if s.means, s.logVars, err = run.Model.Encode(images, labels); err != nil {
		return nil, fmt.Errorf("encoding the test split: %w", err)
	}
	recon, kl, err := run.Model.SharedELBO(images, labels, scoreSamples, opt.Seed)
	if err != nil {
		return nil, fmt.Errorf("scoring the test split: %w", err)
	}
	s.scores = make([]float64, len(recon))
	for i := range recon {
		s.scores[i] = recon[i] + kl[i]
	}
	s.sorted = slices.Sorted(slices.Values(s.scores))
	if s.proj, err = newProjection(s.means, s.latent); err != nil {
		return nil, err
	}
	if err := s.warmUp(); err != nil {
		return nil, err
	}
	s.points = s.proj.project(s.means)
	if (opt.Map == MapTSNE || opt.Map == MapUMAP) && s.latent > 2 {
		if err := s.embedMap(); err != nil {
			return nil, err
		}
	}
	s.dims = dimsByActivity(s.means, s.latent)
	s.decoder = newBatcher(run.Decoder.Decode, s.latent, m.Height*m.Width*m.Channels, run.Decoder.Batch(), opt.Window)
	return s, nil
}

// embedMap places the test images on the map by t-SNE or UMAP
// (Options.Map): the projection then has no axes, and a code's place is
// that of its nearest test image.
func (s *Server) embedMap() error {
	embed, name := embedding.TSNE{Seed: s.opt.Seed}.Embed, "t-SNE"
	if s.opt.Map == MapUMAP {
		embed, name = embedding.UMAP{Seed: s.opt.Seed}.Embed, "UMAP"
	}
	y, err := embed(toFloat64(s.means), s.latent)
	if err != nil {
		return fmt.Errorf("%s map: %w", name, err)
	}
	s.points = y
	s.proj = &projection{How: fmt.Sprintf("%s of the %d-D latent means (seed %d): a position has no code of its own; "+
		"hovering shows the nearest test image's", name, s.latent, s.opt.Seed), XLabel: name + " 1", YLabel: name + " 2", Kind: s.opt.Map}
	return nil
}

// warmUp encodes and scores one image, so that the graphs for single
// images (an upload, a drawing) are compiled before the first request.
func (s *Server) warmUp() error {
	one, label := s.run.Test.Image(0), s.labels(s.run.Test.Labels[:1])
	if _, _, err := s.run.Model.Encode(one, label); err != nil {
		return fmt.Errorf("encoding one image: %w", err)
	}
	_, _, err := s.scoreOf(one, label)
	return err
}

// labels is labels for a conditional model, nil for an unconditional one.
func (s *Server) labels(labels []int) []int {
	if !s.run.Config.Conditional() {
		return nil
	}
	return labels
}

// checkRun reports what is missing or inconsistent in run.
func checkRun(run Run) error {
	m := run.Config
	if kind := m.Kind(); models.Codebook(kind) > 0 {
		if run.Codes == nil {
			return fmt.Errorf("%s: %w", gridExplorer, errNoCodes)
		}
	} else if err := models.NeedContinuous(kind, explorer); err != nil {
		return err
	}
	switch {
	case run.Decoder == nil || run.Model == nil:
		return errors.New("serve: the run needs a decoder and a model")
	case run.Decoder.Batch() < 1:
		return fmt.Errorf("serve: decoder batch size %d: must be positive", run.Decoder.Batch())
	case run.Test == nil || run.Test.N < 2:
		return errors.New("serve: the map needs at least 2 test images")
	case run.Test.Height != m.Height || run.Test.Width != m.Width || run.Test.Channels != m.Channels:
		return fmt.Errorf("serve: test images are %dx%dx%d but the model takes %dx%dx%d",
			run.Test.Height, run.Test.Width, run.Test.Channels, m.Height, m.Width, m.Channels)
	case len(run.Test.Labels) != run.Test.N:
		return fmt.Errorf("serve: %d labels for %d test images", len(run.Test.Labels), run.Test.N)
	case m.Conditional() && len(run.Classes) != 0 && len(run.Classes) != m.Classes:
		return fmt.Errorf("serve: %d class names for a model conditional on %d classes", len(run.Classes), m.Classes)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := m.CheckLabels(run.Test.Labels, run.Test.N); err != nil {
		return fmt.Errorf("serve: test labels: %w", err)
	}
	return nil
}

// Close stops the decode batcher (requests still waiting fail) and frees
// what Open opened for the Server.
func (s *Server) Close() {
	s.decoder.Close()
	if s.release != nil {
		s.release()
	}
}

// Handler returns the explorer's routes: the page at /, the API at /api/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		mux.HandleFunc(r.method+" "+r.path, handler(r.handle))
	}
	mux.HandleFunc("/api/", s.notFound)
	mux.Handle("/", staticHandler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxBody)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	})
}

// imageSize is the number of values in one image.
func (s *Server) imageSize() int {
	m := s.run.Config
	return m.Height * m.Width * m.Channels
}
