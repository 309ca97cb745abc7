package main

import (
	"io"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// session is a run opened by package vae, with the short names the
// commands use for its run, model, backend and stderr.
type session struct {
	*vae.Session
	run    *rundir.Run
	cfg    models.Config
	b      *backend.Backend
	stderr io.Writer
}

// openSession opens the run in runDir on the backend backendName names
// (vae.Open), with its messages on stderr.
func openSession(runDir, backendName string, stderr io.Writer) (*session, error) {
	s, err := vae.Open(runDir, backendName, stderr)
	if err != nil {
		return nil, err
	}
	return &session{Session: s, run: s.Run, cfg: s.Model, b: s.Backend, stderr: stderr}, nil
}

// openEvalSession opens the session of an evaluation command's flags with
// its data set (--data, else the run's) and test split (the first --limit
// images).
func openEvalSession(f evalCommon, stderr io.Writer) (*session, *data.Set, *data.Split, error) {
	s, err := openSession(*f.run, *f.backend, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	set, err := s.DataSet(*f.data, "--data")
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	return s, set, vae.LimitSplit(set.Test, *f.limit), nil
}

// The lower-case names map.go and neighbors.go still call.

func (s *session) close() { s.Close() }
func (s *session) decode(codes []float32, labels []int) ([]float32, error) {
	return s.Decode(codes, labels)
}
func (s *session) evalModel(batch int) (*eval.Model, error) { return s.EvalModel(batch) }
func (s *session) label(value string) (int, bool, error)    { return s.Label(value) }
func (s *session) needLabel(what string) error              { return s.NeedLabel(what) }
func repeatLabel(label, n int) []int                        { return vae.RepeatLabel(label, n) }
