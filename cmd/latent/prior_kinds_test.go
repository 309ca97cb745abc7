package main

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// smallFitFlags are values small enough for tests of the kinds' flags that
// have them; a kind's flag not listed here keeps its default.
var smallFitFlags = map[string]string{"components": "2", "steps": "20", "width": "16", "blocks": "1", "batch": "16"}

// kindFitArgs are the arguments of `latent prior fit` that fit kind small.
func kindFitArgs(runDir, kind string) []string {
	args := []string{"prior", "fit", "--run", runDir, "--kind", kind}
	kinds := prior.DefineFitFlags(flag.NewFlagSet("", flag.ContinueOnError))
	for _, name := range kinds.Of(kind) {
		if v, ok := smallFitFlags[name]; ok {
			args = append(args, "--"+name, v)
		}
	}
	return args
}

// TestPriorEveryKind: every registered kind fits through `latent prior
// fit --kind KIND`, draws through `sample --prior KIND`, gets its row in
// `score` and its place in serve's prior selector, through the commands'
// generic paths; and every kind's flag is refused, naming the kind, when
// another kind is fitted.
func TestPriorEveryKind(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	var kinds []string // those that fit the test run's Gaussian latent
	for _, k := range prior.Registered() {
		if !k.Discrete {
			kinds = append(kinds, k.Name)
		}
	}
	for _, k := range kinds {
		genMustRun(t, kindFitArgs(runDir, k)...)
		path := filepath.Join(out, k+".npy")
		code, _, stderr := genLatent("sample", "--run", runDir, "--prior", k, "-n", "4", "-o", path)
		if code != 0 || !strings.Contains(stderr, "prior: "+k) {
			t.Errorf("sample --prior %s: exit %d, %q; want it to say it drew from the %s prior", k, code, stderr, k)
		}
	}
	for i, k := range kinds {
		for _, j := range kinds[:i] {
			genSameFilesNot(t, filepath.Join(out, k+".npy"), filepath.Join(out, j+".npy"))
		}
	}
	if got := prior.Available(runDir); !slices.Equal(got, append([]string{prior.Normal}, kinds...)) {
		t.Errorf("available priors %v, want normal and every kind %v", got, kinds)
	}

	feat := scoreFeatureNet(t, runDir)
	code, stdout, stderr := genLatent("score", "--run", runDir, "--features", feat, "-n", "20", "--json", "--prior-steps", "5")
	if code != 0 {
		t.Fatalf("score: exit %d\n%s", code, stderr)
	}
	var rep vae.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for i, name := range append([]string{prior.Normal}, kinds...) {
		if i >= len(rep.Rows) || rep.Rows[i].Name != "samples: "+name {
			t.Errorf("score's row %d is not samples: %s: %v", i, name, rep.Rows)
		}
	}

	s := openTestRun(t, runDir)
	names, samplers, err := s.OpenSamplers(vae.DefaultPriorSteps, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, prior.Available(runDir)) {
		t.Errorf("serve's prior selector %v, want %v", names, prior.Available(runDir))
	}
	for _, name := range names {
		if z, err := samplers[name].Sample(1, 1, 1, []int{0}); err != nil || len(z) != s.Model.Latent {
			t.Errorf("serve's %s prior drew %d values, %v; want %d", name, len(z), err, s.Model.Latent)
		}
		samplers[name].Close()
	}

	missing := filepath.Join(t.TempDir(), "no-run")
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	kindFlags := prior.DefineFitFlags(fs)
	all := prior.KindNames()
	for _, owner := range all {
		for _, name := range kindFlags.Of(owner) {
			var definers []string
			for _, k := range all {
				if slices.Contains(kindFlags.Of(k), name) {
					definers = append(definers, k)
				}
			}
			for _, k := range slices.DeleteFunc(slices.Clone(all), func(k string) bool { return slices.Contains(definers, k) }) {
				arg := "--" + name + "=" + fs.Lookup(name).DefValue // given, even at its default
				want := "--" + name + " is a " + suggest.Either(definers) + " prior's flag; --kind " + k + " does not take it"
				// A run folder that does not exist: a flag let through fails fast.
				if code, _, stderr := genLatent("prior", "fit", "--run", missing, "--kind", k, arg); code != 2 || !strings.Contains(stderr, want) {
					t.Errorf("prior fit --kind %s %s: exit %d, %q; want exit 2 and %q", k, arg, code, stderr, want)
				}
			}
		}
	}
}
