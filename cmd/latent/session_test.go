package main

import (
	"io"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/vae"
)

// openTestRun opens the run in runDir on XLA's CPU (vae.Open, its log
// discarded), closed when the test ends.
func openTestRun(t *testing.T, runDir string) *vae.Session {
	t.Helper()
	s, err := vae.Open(runDir, "xla:cpu", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// openTestRunData opens the run in runDir as openTestRun does, with its
// own data set.
func openTestRunData(t *testing.T, runDir string) (*vae.Session, *data.Set) {
	t.Helper()
	s := openTestRun(t, runDir)
	set, err := s.DataSet("", "--data")
	if err != nil {
		t.Fatal(err)
	}
	return s, set
}
