package vae

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/latent-vae/latent/prior"
)

// TestFitRunPrior: a fit is put in place with its report and leaves no
// partial folder; a fit stopped before it began is abandoned (nothing is
// replaced, no partial folder is left).
func TestFitRunPrior(t *testing.T) {
	runDir := tinyRun(t)
	s := open(t, runDir, io.Discard)
	kind := prior.KindNames()[0]
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	recipe := prior.DefineFitFlags(fs).Recipes[kind]
	k, _ := prior.Lookup(kind)
	cfg := prior.Config{Kind: kind, Draws: k.Draws, DrawTemperature: 1, Seed: 1}
	stop := make(chan struct{})
	close(stop)
	_, w, err := s.FitRunPrior(recipe, cfg, stop)
	if err == nil || w == nil || prior.Fitted(runDir, kind) {
		t.Fatalf("a stopped fit: %v, workspace %v, fitted %v; want an interruption and nothing in place", err, w, prior.Fitted(runDir, kind))
	}
	if _, statErr := os.Stat(w.Dir); !os.IsNotExist(statErr) {
		t.Errorf("the stopped fit left %s (%v), want it abandoned", w.Dir, statErr)
	}
	report, w, err := s.FitRunPrior(recipe, cfg, nil)
	if err != nil || !prior.Fitted(runDir, kind) || !strings.Contains(report, "fitted a "+kind+" prior") || !strings.Contains(report, "score: ") {
		t.Fatalf("FitRunPrior %s: %v, fitted %v, report %q", kind, err, prior.Fitted(runDir, kind), report)
	}
	if _, statErr := os.Stat(w.Dir); !os.IsNotExist(statErr) {
		t.Errorf("the fit left its partial folder %s (%v)", w.Dir, statErr)
	}
}
