package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// session is a trained run loaded on an opened backend: what every command
// that encodes, decodes or evaluates works with.
type session struct {
	b      *backend.Backend
	run    *rundir.Run
	cfg    models.Config
	stderr io.Writer
	model  *eval.Model // built by evalModel
}

// openSession loads the run in runDir (saying on stderr which damaged
// checkpoints it passed over), then opens the backend named by backendName
// and prints its summary and the run's on stderr.
func openSession(runDir, backendName string, stderr io.Writer) (*session, error) {
	run, err := loadRun(runDir, stderr)
	if err != nil {
		return nil, err
	}
	b, err := openBackend(backendName, stderr)
	if err != nil {
		return nil, err
	}
	m := run.Config.Model
	fmt.Fprintln(stderr, b.Summary())
	cond := ""
	if m.Conditional() {
		cond = fmt.Sprintf(", conditional on %d classes (%s)", m.Classes, classList(run.Config.Classes))
	}
	fmt.Fprintf(stderr, "run %s: step %d, %dx%dx%d images, %d latent dimensions%s\n", run.Dir, run.Step,
		m.Height, m.Width, m.Channels, m.Latent, cond)
	return &session{b: b, run: run, cfg: m, stderr: stderr}, nil
}

// openEvalSession opens the session of an evaluation command's flags with
// its data set (--data, else the run's) and test split (the first --limit
// images).
func openEvalSession(f evalCommon, stderr io.Writer) (*session, *data.Set, *data.Split, error) {
	s, err := openSession(*f.run, *f.backend, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	set, err := s.dataSet(*f.data, "--data")
	if err != nil {
		s.close()
		return nil, nil, nil, err
	}
	return s, set, limitSplit(set.Test, *f.limit), nil
}

func (s *session) close() {
	if s.model != nil {
		s.model.Finalize()
	}
	s.b.Finalize()
}

// loadRun loads the run in dir, with errors that name --run, and warns on
// stderr about each damaged checkpoint it passed over.
func loadRun(dir string, stderr io.Writer) (*rundir.Run, error) {
	if err := checkRunFolder(dir); err != nil {
		return nil, err
	}
	run, err := rundir.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("--run: %w", err)
	}
	for _, s := range run.Skipped {
		fmt.Fprintf(stderr, "warning: skipping a damaged checkpoint: %s\n", s)
	}
	return run, nil
}

// checkRunFolder checks that the --run folder dir exists and is a folder,
// saying so in words rather than a raw stat error.
func checkRunFolder(dir string) error {
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

// decode maps codes to images through a decoder compiled once for them.
func (s *session) decode(codes []float32, labels []int) ([]float32, error) {
	d, err := s.newDecoder(generate.BatchFor(len(codes) / s.cfg.Latent))
	if err != nil {
		return nil, err
	}
	defer d.Finalize()
	return d.Decode(codes, labels)
}

// newDecoder compiles the run's decoder for batches of batch codes; a
// pixel head generates as the run's training images were (grey or
// binarized).
func (s *session) newDecoder(batch int) (*generate.Decoder, error) {
	d, err := generate.NewDecoder(s.b, s.run.Ctx, s.cfg, batch)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	d.GreyPixels = !s.run.Config.Data.Binarize
	return d, nil
}

// encode maps images to their posterior means through an encoder compiled
// once for them.
func (s *session) encode(images []float32, labels []int) ([]float32, error) {
	n := len(images) / (s.cfg.Height * s.cfg.Width * s.cfg.Channels)
	e, err := generate.NewEncoder(s.b, s.run.Ctx, s.cfg, generate.BatchFor(n))
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	defer e.Finalize()
	return e.Encode(images, labels)
}

// evalModel returns the run's evaluation graphs, making at most batch
// decoder passes per call, with progress on stderr.
func (s *session) evalModel(batch int) (*eval.Model, error) {
	if s.model == nil {
		m, err := eval.NewModel(s.b, s.run.Ctx, s.cfg)
		if err != nil {
			return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
		}
		m.Progress = newProgress(s.stderr)
		s.model = m
	}
	s.model.Batch = batch
	return s.model, nil
}

// dataSet loads the run's data set, or spec when given (with the run's
// other data settings), and checks both splits hold images of the model's
// shape; errors name flag.
func (s *session) dataSet(spec, flag string) (*data.Set, error) {
	name := cmp.Or(spec, s.run.Config.Data.Spec)
	set, err := s.run.Config.LoadDataAs(spec)
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

// testSplit loads the test split of the run's data set, or of spec (the
// --data flag) when given, keeping the run's other data settings, and
// checks its images have the model's shape.
func (s *session) testSplit(spec string) (*data.Split, error) {
	set, err := s.testSet(spec)
	if err != nil {
		return nil, err
	}
	return set.Test, nil
}

// limitSplit returns the first limit images of s (all when limit is 0).
func limitSplit(s *data.Split, limit int) *data.Split {
	if limit > 0 && limit < s.N {
		return s.Subset(limit)
	}
	return s
}

// newProgress returns a progress reporter for eval.Model: a bar on stderr
// when it is a terminal, and a line with the time taken when a phase ends.
func newProgress(stderr io.Writer) func(phase string, done, total int) {
	return newProgressOf(stderr, "images")
}

// newProgressOf is newProgress for work counted in units.
func newProgressOf(stderr io.Writer, units string) func(phase string, done, total int) {
	names := map[string]string{"encode": "encoding", "elbo": "ELBO", "iw": "importance sampling"}
	terminal := isTerminal(stderr)
	var bar *progressbar.ProgressBar
	var started time.Time
	return func(phase string, done, total int) {
		name := cmp.Or(names[phase], phase)
		if done == 0 {
			started = time.Now()
			if terminal {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(name), progressbar.OptionShowCount(),
					progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
			}
			return
		}
		if bar != nil {
			_ = bar.Set(done)
		}
		if done >= total {
			if bar != nil {
				_ = bar.Finish()
				bar = nil
			}
			fmt.Fprintf(stderr, "%s: %d %s in %.1fs\n", name, total, units, time.Since(started).Seconds())
		}
	}
}
