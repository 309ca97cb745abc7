package serve

import (
	"fmt"
	"path/filepath"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// DecodeBatch is the batch size the decoder of a Server from Open is
// compiled for: a call holds up to this many concurrent requests' codes.
const DecodeBatch = 16

// Source is a run opened by package vae and what of it a Server shows.
type Source struct {
	Session *vae.Session
	Test    *data.Split // the split of the map and the scores
	Data    string      // the data set's name, as the log says it
	Classes []string    // the data set's class names (a conditional run's own come first)
	Batch   int         // decoder passes of one evaluation call
}

// Open is New for src's run: its decoder, its evaluation graphs (without
// progress), and its latent kind's default prior (N(0, I), or uniform
// codes for a discrete run) with every prior fitted to it behind the
// sample button; a discrete run's test grids are its encoder's nearest
// codes (Run.Codes). Close releases them; src.Session stays open for its
// owner.
func Open(src Source, opt Options) (*Server, error) {
	s := src.Session
	discrete := models.Codebook(s.Model.Kind()) > 0
	if !discrete {
		if _, err := s.Dimensions(explorer); err != nil {
			return nil, err
		}
	}
	model, err := s.EvalModel(src.Batch)
	if err != nil {
		return nil, err
	}
	model.Progress = nil
	dec, err := s.NewDecoder(DecodeBatch)
	if err != nil {
		return nil, err
	}
	classes := src.Classes
	if s.Model.Conditional() && len(s.Run.Config.Classes) > 0 {
		classes = s.Run.Config.Classes // the names the run was trained on, which its labels mean
	}
	names, samplers, err := s.OpenSamplers(vae.DefaultPriorSteps, 1)
	if err != nil {
		dec.Finalize()
		return nil, err
	}
	release := func() {
		for _, c := range samplers {
			c.Close()
		}
		dec.Finalize()
	}
	run := Run{Name: filepath.Base(s.Run.Dir), Step: s.Run.Step, Config: s.Model,
		Decoder: dec, Model: model, Test: src.Test, Classes: classes,
		Priors: names, Sample: func(name string, seed int64, label int) ([]float32, error) {
			return samplers[name].Sample(1, seed, prior.ChosenTemperature, []int{label})
		}}
	if discrete {
		fmt.Fprintf(s.Log, "encoding %d test images of %s to their code grids\n", src.Test.N, src.Data)
		run.Codes = func(images []float32, labels []int) ([]float32, error) {
			return model.Codes(images, labels, 1, opt.Seed, 0) // the nearest codes: no draw
		}
	} else {
		fmt.Fprintf(s.Log, "encoding and scoring %d test images of %s\n", src.Test.N, src.Data)
	}
	srv, err := New(run, opt)
	if err != nil {
		release()
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	srv.release = release
	return srv, nil
}
