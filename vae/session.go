package vae

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// Session is a trained run loaded on an opened backend: what encodes,
// decodes, samples and evaluates. Close releases it.
type Session struct {
	// Backend runs the run's graphs.
	Backend *backend.Backend
	// Run is the run folder as loaded.
	Run *rundir.Run
	// Model is the run's model configuration.
	Model models.Config
	// Log receives what a command prints on stderr: the backend and run
	// summaries, the prior in use, progress.
	Log   io.Writer
	model *eval.Model // built by EvalModel
	// TopK keeps, when a prior that draws each code from a categorical
	// distribution (a grid's) is opened, only the TopK most likely codes of
	// each draw; 0 keeps every code (prior.OpenOptions).
	TopK int
	// DataDir is the folder DataSet and TestSet read a named set's files
	// from (--data-dir); "" keeps the folder the run recorded, or for
	// another set its default search.
	DataDir string
	// normalOpen is set once N(0, I) is opened: a fitted prior opened after
	// it (score's rows, the explorer's priors) then names no --prior normal.
	normalOpen bool
}

// Open loads the run in runDir (saying on log which damaged checkpoints it
// passed over), then opens the backend named by backendName ("" for the
// default: see backend.Open) and prints its summary and the run's on log.
func Open(runDir, backendName string, log io.Writer) (*Session, error) {
	run, err := LoadRun(runDir, log)
	if err != nil {
		return nil, err
	}
	b, err := backend.OpenDevices(backendName, 0, log)
	if err != nil && backendName != "" {
		return nil, fmt.Errorf("--%w", err)
	} else if err != nil {
		return nil, err
	}
	return New(run, b, log), nil
}

// New is a session of run on the opened backend b, which the session then
// owns; it prints the backend's summary and the run's on log.
func New(run *rundir.Run, b *backend.Backend, log io.Writer) *Session {
	m := run.Config.Model
	fmt.Fprintln(log, b.Summary())
	cond := ""
	if m.Conditional() {
		cond = fmt.Sprintf(", conditional on %d classes (%s)", m.Classes, ClassList(run.Config.Classes))
	}
	fmt.Fprintf(log, "run %s: step %d, %dx%dx%d images, %s%s\n", run.Dir, run.Step,
		m.Height, m.Width, m.Channels, m.Kind().Describe(), cond)
	return &Session{Backend: b, Run: run, Model: m, Log: log}
}

// Close releases the session's graphs and its backend.
func (s *Session) Close() {
	if s.model != nil {
		s.model.Finalize()
	}
	s.Backend.Finalize()
}

// LoadRun loads the run in dir, with errors that name --run, and warns on
// log about each damaged checkpoint it passed over.
func LoadRun(dir string, log io.Writer) (*rundir.Run, error) {
	if err := CheckRunFolder(dir); err != nil {
		return nil, err
	}
	run, err := rundir.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("--run: %w", err)
	}
	for _, s := range run.Skipped {
		fmt.Fprintf(log, "warning: skipping a damaged checkpoint: %s\n", s)
	}
	return run, nil
}

// CheckRunFolder checks that the --run folder dir exists and is a folder,
// saying so in words rather than a raw stat error.
func CheckRunFolder(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--run: not a run folder: %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("--run: not a run folder: %s cannot be read (%w)", dir, errors.Unwrap(err))
	case !info.IsDir():
		return fmt.Errorf("--run: not a run folder: %s is a file", dir)
	}
	return nil
}

// Decode maps codes (the latent kind's size each, with a label each for a
// conditional run) to images through a decoder compiled once for them.
func (s *Session) Decode(codes []float32, labels []int) ([]float32, error) {
	d, err := s.NewDecoder(generate.BatchFor(len(codes) / s.Model.Kind().Code().Size()))
	if err != nil {
		return nil, err
	}
	defer d.Finalize()
	return d.Decode(codes, labels)
}

// NewDecoder compiles the run's decoder for batches of batch codes; a
// pixel head generates as the run's training images were (grey or
// binarized).
func (s *Session) NewDecoder(batch int) (*generate.Decoder, error) {
	d, err := generate.NewDecoder(s.Backend, s.Run.Ctx, s.Model, batch)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	d.GreyPixels = !s.Run.Config.Data.Binarize
	return d, nil
}

// Encode maps images (NHWC in [0, 1]) to their posterior means through an
// encoder compiled once for them.
func (s *Session) Encode(images []float32, labels []int) ([]float32, error) {
	n := len(images) / (s.Model.Height * s.Model.Width * s.Model.Channels)
	e, err := generate.NewEncoder(s.Backend, s.Run.Ctx, s.Model, generate.BatchFor(n))
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	defer e.Finalize()
	return e.Encode(images, labels)
}

// EvalModel returns the run's evaluation graphs, making at most batch
// decoder passes per call, with progress on Log. The session owns them.
func (s *Session) EvalModel(batch int) (*eval.Model, error) {
	if s.model == nil {
		m, err := eval.NewModel(s.Backend, s.Run.Ctx, s.Model)
		if err != nil {
			return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
		}
		m.Progress = NewProgress(s.Log)
		s.model = m
	}
	s.model.Batch = batch
	return s.model, nil
}

// DataSet loads the run's data set, or spec when given (with the run's
// other data settings), and checks both splits hold images; errors name
// flag.
func (s *Session) DataSet(spec, flag string) (*data.Set, error) {
	name := cmp.Or(spec, s.Run.Config.Data.Spec)
	set, err := s.Run.Config.LoadDataAs(spec, s.DataDir)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, name, err)
	}
	for _, sp := range []struct {
		name  string
		split *data.Split
	}{{"training", set.Train}, {"test", set.Test}} {
		if sp.split.N == 0 {
			return nil, fmt.Errorf("%s %s: the %s split is empty", flag, name, sp.name)
		}
	}
	return set, nil
}

// TestSet loads the run's data set, or spec (the --data flag) when given,
// keeping the run's other data settings, and checks its test split is not
// empty.
func (s *Session) TestSet(spec string) (*data.Set, error) {
	set, err := s.Run.Config.LoadDataAs(spec, s.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data set %s: %w", cmp.Or(spec, s.Run.Config.Data.Spec), err)
	}
	if set.Test.N == 0 {
		return nil, fmt.Errorf("data set %s: the test split is empty", set.Name)
	}
	return set, nil
}

// LimitSplit returns the first limit images of sp (all when limit is 0).
func LimitSplit(sp *data.Split, limit int) *data.Split {
	if limit > 0 && limit < sp.N {
		return sp.Subset(limit)
	}
	return sp
}
