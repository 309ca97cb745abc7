package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
)

// tinyDiffusion are the flags of a diffusion prior small enough for tests.
var tinyDiffusion = []string{"--kind", "diffusion", "--width", "16", "--blocks", "1", "--batch", "16"}

func TestPriorFitAndSample(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	png := func(name string) string { return filepath.Join(out, name) }
	sample := func(name string, extra ...string) string {
		t.Helper()
		args := append([]string{"sample", "--run", runDir, "-n", "12", "-o", png(name)}, extra...)
		code, _, stderr := genLatent(args...)
		if code != 0 {
			t.Fatalf("latent %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
		return stderr
	}
	genMustFail(t, out, "latent prior fit --run "+runDir+" --kind gmm", "sample", "--run", runDir, "--prior", "gmm", "-o", png("x.png"))
	if stderr := sample("auto-normal.png"); !strings.Contains(stderr, "prior: normal") {
		t.Errorf("a run without a fitted prior: stderr %q does not say it samples N(0, I)", stderr)
	}
	genSameFiles(t, png("auto-normal.png"), func() string { sample("normal.png", "--prior", "normal"); return png("normal.png") }())

	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
	if stderr := sample("auto-gmm.png"); !strings.Contains(stderr, "prior: gmm") {
		t.Errorf("a run with a gmm prior: stderr %q does not say it samples the gmm prior", stderr)
	}
	sample("gmm.png", "--prior", "gmm")
	genSameFiles(t, png("auto-gmm.png"), png("gmm.png"))
	if bytes.Equal(mustRead(t, png("gmm.png")), mustRead(t, png("normal.png"))) {
		t.Error("the gmm prior's samples are N(0, I)'s")
	}

	genMustRun(t, "prior", "fit", "--run", runDir, tinyDiffusion[0], tinyDiffusion[1], tinyDiffusion[2], tinyDiffusion[3],
		tinyDiffusion[4], tinyDiffusion[5], tinyDiffusion[6], tinyDiffusion[7], "--steps", "40")
	sample("auto-diffusion.png")
	sample("diffusion.png", "--prior", "diffusion")
	sample("diffusion-5.png", "--prior", "diffusion", "--prior-steps", "5")
	if bytes.Equal(mustRead(t, png("diffusion.png")), mustRead(t, png("diffusion-5.png"))) {
		t.Error("--prior-steps 5 drew what the default 50 steps draw")
	}
	genSameFiles(t, png("auto-diffusion.png"), png("diffusion.png"))
	if bytes.Equal(mustRead(t, png("diffusion.png")), mustRead(t, png("gmm.png"))) {
		t.Error("auto did not move to the diffusion prior once it was fitted")
	}
	// Other commands that draw random latents take --prior too.
	genMustRun(t, "interpolate", "--run", runDir, "--prior", "gmm", "--frames", "3", "-o", png("i.gif"))
	genMustRun(t, "traverse", "--run", runDir, "--seed", "3", "--prior", "diffusion", "--order", "dim", "-o", png("t.png"))
	genMustFail(t, t.TempDir(), "--prior draws random endpoints", "interpolate", "--run", runDir, "--prior", "gmm",
		"--from-index", "0", "--to-index", "1", "-o", filepath.Join(t.TempDir(), "i.gif"))

	// A damaged prior file is an error naming it.
	files, _ := filepath.Glob(filepath.Join(prior.Dir(runDir, prior.KindGMM), "*.latent"))
	if len(files) != 1 {
		t.Fatalf("%d gmm prior files, want 1", len(files))
	}
	raw := mustRead(t, files[0])
	raw[len(raw)/2] ^= 0x55
	if err := os.WriteFile(files[0], raw, 0o644); err != nil {
		t.Fatal(err)
	}
	genMustFail(t, t.TempDir(), files[0], "sample", "--run", runDir, "--prior", "gmm", "-o", filepath.Join(t.TempDir(), "d.png"))
}

func TestPriorDiffusionResumeMatchesUninterrupted(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	other := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(other, os.DirFS(runDir)); err != nil {
		t.Fatal(err)
	}
	fit := func(dir string, extra ...string) {
		t.Helper()
		genMustRun(t, append(append([]string{"prior", "fit", "--run", dir}, tinyDiffusion...), extra...)...)
	}
	fit(runDir, "--steps", "2000")
	// 1000 steps, then resumed to 2000: the checkpoint of step 1000 carries
	// the optimizer, the averages and the RNG.
	fit(other, "--steps", "1000")
	fit(other, "--steps", "2000", "--resume")
	out := t.TempDir()
	a, b := filepath.Join(out, "a.png"), filepath.Join(out, "b.png")
	genMustRun(t, "sample", "--run", runDir, "--prior", "diffusion", "-n", "8", "-o", a)
	genMustRun(t, "sample", "--run", other, "--prior", "diffusion", "-n", "8", "-o", b)
	genSameFiles(t, a, b)
}

func TestPriorFitFlags(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "flow"}, `--kind "flow": want ` + suggest.Either(prior.KindNames())},
		{[]string{"--kind", "gmm", "--steps", "10"}, "--steps is a diffusion or transformer prior's flag; --kind gmm does not take it"},
		{[]string{"--kind", "diffusion", "--layers", "2"}, "--layers is a transformer prior's flag; --kind diffusion does not take it"},
		{[]string{"--kind", "transformer"}, "--kind transformer: a transformer prior fits discrete codes (indices into a codebook), and the run's latent is"},
		{[]string{"--kind", "transformer", "--width", "10", "--heads", "3"}, "transformer flags: width 10: want a multiple of the 3 heads"},
		{[]string{"--kind", "diffusion", "--components", "3"}, "--components is a gmm prior's flag"},
		{[]string{"--kind", "gmm", "--components", "0"}, "--components 0: want ≥ 1"},
		{[]string{"--kind", "diffusion", "--lr", "0"}, "learning rate 0"},
		{[]string{"--kind", "gmm", "--draw-temperature", "1.5"}, "--draw-temperature 1.5: want a value in [0, 1]"},
		{[]string{"--kind", "diffusion", "--draw-temperature", "-0.1"}, "--draw-temperature -0.1"},
	} {
		code, _, stderr := genLatent(append([]string{"prior", "fit", "--run", runDir}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("prior fit %v: exit %d, %q; want exit 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
	if code, _, stderr := genLatent("sample", "--run", runDir, "--prior", "flow"); code != 2 || !strings.Contains(stderr, "--prior") {
		t.Errorf("sample --prior flow: exit %d, %q; want a usage error naming --prior", code, stderr)
	}
	for _, args := range [][]string{
		{"sample", "--run", runDir, "--top-k", "-1"},
		{"score", "--run", runDir, "--top-k", "-1"},
		{"interpolate", "--run", runDir, "--top-k", "-1"},
	} {
		if code, _, stderr := genLatent(args...); code != 2 || !strings.Contains(stderr, "--top-k -1: want ≥ 0 (0: every code)") {
			t.Errorf("%v: exit %d, %q; want exit 2 naming --top-k", args, code, stderr)
		}
	}
	if code, _, stderr := genLatent("sample", "--run", runDir, "--prior", "uniform", "-n", "2", "-o", filepath.Join(t.TempDir(), "u.npy")); code != 2 ||
		!strings.Contains(stderr, "--prior uniform: the uniform prior is over a codebook's indices") {
		t.Errorf("sample --prior uniform on a Gaussian run: exit %d, %q; want exit 2 saying why", code, stderr)
	}
}

// TestPriorConditionalAndLadder fits both priors to a conditional run and
// to a ladder (its whitened code), and samples from them: each draws its
// own grid. That the priors use the label is checked by
// TestPriorLabelAndTemperature (the mixture, through the commands' path)
// and by prior's TestDiffusionUsesTheLabel and TestMixturesSaveAndRead.
func TestPriorConditionalAndLadder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		classes int
		edit    func(*models.Config)
		sample  []string
	}{
		{"conditional", 2, func(m *models.Config) { m.Classes = 2 }, []string{"--per-label", "3"}},
		{"ladder", 0, func(m *models.Config) {
			m.Model, m.Groups, m.Latent, m.Blocks = models.Ladder, 2, 4, 1
		}, []string{"-n", "6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runDir, _ := genTestRunOf(t, 1, tc.classes, tc.edit)
			genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "3")
			genMustRun(t, append(append([]string{"prior", "fit", "--run", runDir}, tinyDiffusion...), "--steps", "20")...)
			out := t.TempDir()
			var grids [][]byte
			for _, p := range []string{"gmm", "diffusion", "normal"} {
				path := filepath.Join(out, p+".png")
				genMustRun(t, append([]string{"sample", "--run", runDir, "--prior", p, "-o", path}, tc.sample...)...)
				grids = append(grids, mustRead(t, path))
			}
			if bytes.Equal(grids[0], grids[2]) || bytes.Equal(grids[1], grids[2]) || bytes.Equal(grids[0], grids[1]) {
				t.Error("two priors drew the same grid")
			}
		})
	}
}

// TestPriorFitDrawsAndSeed: --draws sets how many codes of each training
// image the prior is fitted to, and --seed which; both are saved in the
// prior's config.
func TestPriorFitDrawsAndSeed(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	fit := func(args ...string) (string, prior.Config) {
		t.Helper()
		code, out, stderr := genLatent(append([]string{"prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2"}, args...)...)
		if code != 0 {
			t.Fatalf("prior fit %v: exit %d\n%s", args, code, stderr)
		}
		saved, err := prior.Read(runDir, prior.KindGMM)
		if err != nil {
			t.Fatal(err)
		}
		return out, saved.Config
	}
	out, cfg := fit()
	if !strings.Contains(out, fmt.Sprintf("to %d codes", genTrainN)) || cfg.Draws != 1 || cfg.Seed != 1 {
		t.Errorf("default fit: %q, config draws %d seed %d; want %d codes, 1 draw, seed 1", out, cfg.Draws, cfg.Seed, genTrainN)
	}
	first := mustRead(t, prior.Dir(runDir, prior.KindGMM)+"/ckpt-0000000000.latent")
	out, cfg = fit("--draws", "3", "--seed", "7")
	if !strings.Contains(out, fmt.Sprintf("to %d codes", 3*genTrainN)) || cfg.Draws != 3 || cfg.Seed != 7 {
		t.Errorf("--draws 3 --seed 7: %q, config draws %d seed %d", out, cfg.Draws, cfg.Seed)
	}
	if bytes.Equal(first, mustRead(t, prior.Dir(runDir, prior.KindGMM)+"/ckpt-0000000000.latent")) {
		t.Error("another seed and draw count fitted the same mixture")
	}
	// Draws at temperature 0 are the means (eval's CodesTemperature test):
	// another mixture.
	if cfg.DrawTemperature != 1 {
		t.Errorf("gmm's default draw temperature %g, want 1", cfg.DrawTemperature)
	}
	_, cfg = fit("--draw-temperature", "0")
	means := mustRead(t, prior.Dir(runDir, prior.KindGMM)+"/ckpt-0000000000.latent")
	if cfg.DrawTemperature != 0 || bytes.Equal(first, means) {
		t.Errorf("--draw-temperature 0: config %g, mixture the same as at 1: %v", cfg.DrawTemperature, bytes.Equal(first, means))
	}
}
