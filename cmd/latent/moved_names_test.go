package main

import (
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/serve"
	"github.com/latent-vae/latent/vae"
)

// The names cmd/latent's tests, written before package vae and serve.Until, call.

const defaultPriorSteps = vae.DefaultPriorSteps

type (
	scoreReport = vae.Report
	scoreRow    = vae.Row
)

func sampleLabels(m models.Config, n int) []int { return vae.SampleLabels(m, n) }

func (s *session) drawCodes(p priorFlags, n int, seed int64, temperature float64, labels []int) ([]float32, string, error) {
	return s.Sample(*p.name, *p.steps, n, seed, temperature, labels)
}

func (s *session) openSamplers() ([]string, map[string]prior.Sampler, error) {
	return s.OpenSamplers(vae.DefaultPriorSteps, 1)
}

func (s *session) dataSet(spec, flag string) (*data.Set, error) { return s.DataSet(spec, flag) }

func (s *session) posteriorDraws(split *data.Split, seed int64) ([]float32, error) {
	return s.PosteriorDraws(split, seed)
}

func (s *session) reconstructions(split *data.Split) ([]float32, error) {
	return s.Reconstructions(split)
}

func (s *session) perfectPrior(all *data.Split, n int, seed int64) ([]float32, error) {
	return s.PerfectPrior(all, n, seed)
}

func unitKL(means, logVars []float32, latent int) []float64 {
	return vae.UnitKL(means, logVars, latent)
}

func addrWarning(addr string) string { return serve.AddrWarning(addr) }
