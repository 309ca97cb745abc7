package main

import (
	"io"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
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
