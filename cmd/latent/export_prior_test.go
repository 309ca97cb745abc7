package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/safetensors"
)

// exportFitFlags fit each kind small for the export tests; the diffusion
// prior keeps a moving average (--ema) that differs from its last weights
// (a high --lr), so that exporting the wrong ones shows.
var exportFitFlags = map[string]string{"components": "3", "steps": "60", "width": "16", "blocks": "2",
	"batch": "32", "lr": "0.3", "ema": "0.9"}

// Tolerances of the numpy sampler against latent's codes, |Δ| ≤ tol·(1+|z|):
// a mixture is computed in float64 on both sides and rounded to float32
// (at most an ulp apart); the diffusion prior runs latent's denoiser in
// float32 against numpy's in float64 (its time features' argument in
// float32, as latent's).
const (
	mixtureTol   = 1e-6
	diffusionTol = 1e-4
)

// continuousKinds are the registered prior kinds that fit a continuous
// latent's codes (the runs of these tests are Gaussian).
func continuousKinds() []prior.Kind {
	var out []prior.Kind
	for _, k := range prior.Registered() {
		if !k.Discrete {
			out = append(out, k)
		}
	}
	return out
}

// fitEveryKind fits each registered prior kind of a continuous latent to
// codes of the run in runDir (random, around three centres of unequal
// weight; per class for a conditional run), through the kind's own recipe,
// as `latent prior fit` does.
func fitEveryKind(t *testing.T, b *backend.Backend, runDir string) {
	t.Helper()
	for _, k := range continuousKinds() {
		fitKind(t, b, runDir, k, nil)
	}
}

// fitKind fits the prior of kind k to runDir's codes as fitEveryKind
// does, with exportFitFlags and extra flags (which take precedence).
func fitKind(t *testing.T, b *backend.Backend, runDir string, k prior.Kind, extra map[string]string) {
	t.Helper()
	run, err := rundir.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := prior.OriginOf(run)
	if err != nil {
		t.Fatal(err)
	}
	d, classes := run.Config.Model.Latent, run.Config.Model.Classes
	rng := rand.New(rand.NewPCG(5, 6))
	codes := prior.Codes{}
	for i := range 600 {
		centre := []float64{-2, 0, 2}[[]int{0, 0, 0, 1, 2}[i%5]] // weights 0.6, 0.2, 0.2
		for j := range d {
			codes.Z = append(codes.Z, centre+float64(j%2)+0.5*rng.NormFloat64())
		}
		if classes > 0 {
			codes.Labels = append(codes.Labels, i%classes)
		}
	}
	fs := flag.NewFlagSet(k.Name, flag.ContinueOnError)
	recipe := k.Flags(fs)
	var args []string
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := extra[f.Name]; ok {
			args = append(args, "--"+f.Name+"="+v)
		} else if v, ok := exportFitFlags[f.Name]; ok {
			args = append(args, "--"+f.Name, v)
		}
	})
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg := prior.Config{Kind: k.Name, Draws: 1, DrawTemperature: 1, Seed: 1}
	origin.Stamp(&cfg)
	w, err := prior.Begin(runDir, k.Name, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recipe.Fit(prior.Job{Backend: b.Backend, Workspace: w, Config: cfg, Training: codes, HeldOut: codes}); err != nil {
		t.Fatalf("fitting the %s prior: %v", k.Name, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w.Release()
}

// latentCodes draws n codes with seed from runDir's prior of kind through
// latent's own sampler, and returns them with the noise they came from.
func latentCodes(t *testing.T, b *backend.Backend, runDir, kind string, n int, seed int64, temp float64, steps int, labels []int) ([]float32, prior.Noise) {
	t.Helper()
	saved, err := prior.Read(runDir, kind)
	if err != nil {
		t.Fatal(err)
	}
	s, err := saved.Open(b.Backend, prior.OpenOptions{Batch: n, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	z, err := s.Sample(n, seed, temp, labels)
	if err != nil {
		t.Fatal(err)
	}
	noise, err := saved.Noise(n, seed, labels)
	if err != nil {
		t.Fatal(err)
	}
	return z, noise
}

// TestExportedPriorsMatchLatent exports a run with every kind of prior
// fitted to it (and then a diffusion prior that whitens and predicts v), gives examples/python/latent_decoder.py latent's own noise
// for a seed (component choices and ε for a mixture, the starting noise of
// the diffusion prior) and checks that its sampler returns latent's codes
// within float tolerance and decodes them to latent's images; then draws
// from each prior with numpy's own noise to a PNG, as a user would.
func TestExportedPriorsMatchLatent(t *testing.T) {
	b := testenv.XLA(t)
	python := testenv.PythonNumpy(t)
	base := models.Config{Height: 8, Width: 8, Channels: 1, Latent: 3, Widths: []int{4, 8}, Hidden: 6,
		Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
	for _, classes := range []int{0, 3} {
		t.Run(fmt.Sprintf("%d classes", classes), func(t *testing.T) {
			cfg := base
			cfg.Classes = classes
			dir := t.TempDir()
			runDir := randomRun(t, b, cfg, filepath.Join(dir, "run"))
			fitEveryKind(t, b, runDir)
			model := filepath.Join(dir, "model.safetensors")
			var out, errb bytes.Buffer
			if code := run([]string{"export", "--run", runDir, "-o", model}, &out, &errb); code != 0 {
				t.Fatalf("latent export: exit %d: %s", code, errb.String())
			}
			for _, kind := range continuousKinds() {
				k := kind.Name
				if !strings.Contains(out.String(), "prior "+k) {
					t.Errorf("latent export says %q, want a line for the %s prior", out.String(), k)
				}
				t.Run(k, func(t *testing.T) { checkExportedPrior(t, b, python, dir, runDir, model, k, classes) })
			}
			// A diffusion prior fitted to whitened codes, predicting v.
			k, _ := prior.Lookup(prior.KindDiffusion)
			checkRecipe(t, runDir, false)
			fitKind(t, b, runDir, k, map[string]string{"predict": "v", "whiten": "true"})
			checkRecipe(t, runDir, true)
			if code := run([]string{"export", "--run", runDir, "-o", model}, &out, &errb); code != 0 {
				t.Fatalf("latent export: exit %d: %s", code, errb.String())
			}
			t.Run("diffusion, whitened, v", func(t *testing.T) {
				checkExportedPrior(t, b, python, dir, runDir, model, prior.KindDiffusion, classes)
			})
		})
	}
}

// checkRecipe fails t unless runDir's diffusion prior is whitened and
// predicts v, or with wv false (the default recipe) neither.
func checkRecipe(t *testing.T, runDir string, wv bool) {
	t.Helper()
	s, err := prior.Read(runDir, prior.KindDiffusion)
	if err != nil {
		t.Fatal(err)
	}
	whitened, v := s.Config.Basis != nil, s.Config.Diffusion.Predict == prior.PredictV
	if whitened != wv || v != wv {
		t.Fatalf("the diffusion prior: whitened %v, predicts v %v; want both %v", whitened, v, wv)
	}
}

// checkExportedPrior compares the numpy sampler of the exported prior of
// kind with latent's, on latent's noise, and draws a PNG with numpy's.
func checkExportedPrior(t *testing.T, b *backend.Backend, python, dir, runDir, model, kind string, classes int) {
	const n, seed, temp, steps, label = 24, 7, 0.8, 6, 2
	var labels []int
	args := []string{pythonDecoder, model, "--prior", kind, "--temperature", fmt.Sprint(temp), "--steps", fmt.Sprint(steps)}
	if classes > 0 {
		labels = slices.Repeat([]int{label}, n)
		args = append(args, "--label", fmt.Sprint(label))
	}
	want, noise := latentCodes(t, b, runDir, kind, n, seed, temp, steps, labels)
	got, decoded := replayNoise(t, python, filepath.Join(dir, kind), args, noise)
	if len(got) != len(want) {
		t.Fatalf("numpy drew %d values, latent %d", len(got), len(want))
	}
	tol := map[bool]float64{true: diffusionTol, false: mixtureTol}[noise.U == nil]
	compareCodes(t, kind, got, want, 3, tol)
	decodedWant := decodeRun(t, b, runDir, want, labels)
	pixels := 0.0
	for i := range decodedWant {
		pixels = max(pixels, math.Abs(float64(decoded[i]-decodedWant[i])))
		if math.IsNaN(float64(decoded[i])) {
			pixels = math.NaN()
			break
		}
	}
	t.Logf("%s: max |numpy − latent| of the decoded pixels = %.3g", kind, pixels)
	if !(pixels <= 1e-4) {
		t.Errorf("the numpy decoding of the %s codes differs from latent's by up to %g, want ≤ 1e-4", kind, pixels)
	}
	pngFile := filepath.Join(dir, kind+".png")
	testenv.RunPython(t, python, nil, append(args, "-n", "9", "--scale", "2", "-o", pngFile)...)
	checkGridPNG(t, pngFile, 3*16+2)
}

// replayNoise runs the numpy sampler (args) on noise, written beside
// prefix, and returns the codes it drew and the images it decoded.
func replayNoise(t *testing.T, python, prefix string, args []string, noise prior.Noise) (codes, images []float32) {
	t.Helper()
	noiseFile, codesFile, imagesFile := prefix+".noise.json", prefix+".codes.npy", prefix+".npy"
	raw, err := json.Marshal(noise)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noiseFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.RunPython(t, python, nil, append(args, "--noise", noiseFile, "--codes", codesFile, "-o", imagesFile)...)
	codes, _ = readNpyFloat32(t, codesFile)
	images, _ = readNpyFloat32(t, imagesFile)
	return codes, images
}

// compareCodes checks |got − want| ≤ tol·(1+|want|) for codes of d values
// (a NaN fails), and that want's codes differ by far more than tol, so
// that a wrong sampler cannot pass by drawing alike codes.
func compareCodes(t *testing.T, kind string, got, want []float32, d int, tol float64) {
	t.Helper()
	worst, spread := 0.0, 0.0
	for i := range want {
		worst = max(worst, math.Abs(float64(got[i]-want[i]))/(1+math.Abs(float64(want[i]))))
		if math.IsNaN(float64(got[i])) {
			worst = math.NaN()
			break
		}
		spread = max(spread, math.Abs(float64(want[i]-want[i%d])))
	}
	t.Logf("%s: max |numpy − latent|/(1+|z|) = %.3g over %d codes (tolerance %g)", kind, worst, len(want)/d, tol)
	if !(worst <= tol) { // NaN fails
		t.Errorf("the numpy %s sampler differs from latent's by up to %g relative, want ≤ %g", kind, worst, tol)
	}
	if !(spread > 100*tol) {
		t.Errorf("latent's %s codes spread by only %g: too alike to tell samplers apart", kind, spread)
	}
}

// checkGridPNG checks that path is a PNG of side×side pixels.
func checkGridPNG(t *testing.T, path string, side int) {
	t.Helper()
	if s := readPNG(t, path).Bounds().Size(); s.X != side || s.Y != side {
		t.Errorf("%s is %v, want %dx%d (3x3 images of 8 pixels at scale 2)", path, s, side, side)
	}
}

// TestExportPriorsFlag: --priors all writes every fitted prior and none
// writes the very file an export wrote before the run had priors; a list
// writes those it names; a prior not fitted, an unknown kind and a prior
// fitted to another run are refused, naming the flag, and leave no file.
func TestExportPriorsFlag(t *testing.T) {
	b := testenv.XLA(t)
	cfg := models.Config{Height: 8, Width: 8, Channels: 1, Latent: 2, Widths: []int{4}, Kernel: 3,
		Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
	dir := t.TempDir()
	runDir := randomRun(t, b, cfg, filepath.Join(dir, "run"))
	export := func(name string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"export", "--run", runDir, "-o", filepath.Join(dir, name)}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, stderr := export("before.safetensors"); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	saveGMM(t, runDir, runDir)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		want   string
		priors int
	}{
		{"all.safetensors", nil, 0, "prior gmm (3 components): 3 tensors", 1},
		{"gmm.safetensors", []string{"--priors", "gmm"}, 0, "prior gmm", 1},
		{"none.safetensors", []string{"--priors", "none"}, 0, "wrote", 0},
		{"unfitted.safetensors", []string{"--priors", "gmm,diffusion"}, 1, "--priors gmm,diffusion: prior not fitted: run " + runDir + " has no diffusion prior; fit one with `latent prior fit", -1},
		{"unknown.safetensors", []string{"--priors", "gmm,flow"}, 2, `--priors gmm,flow: unknown prior "flow"`, -1},
	} {
		code, stdout, stderr := export(tc.name, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("export %v: exit %d, %q; want exit %d and %q", tc.args, code, stdout+stderr, tc.code, tc.want)
		}
		raw, err := os.ReadFile(filepath.Join(dir, tc.name))
		if tc.priors < 0 {
			if err == nil {
				t.Errorf("export %v failed but wrote %s", tc.args, tc.name)
			}
			continue
		}
		if got := strings.Count(string(raw), `"prior/gmm/`); err != nil || got != 3*tc.priors {
			t.Errorf("export %v: %d gmm tensors in %s (%v), want %d", tc.args, got, tc.name, err, 3*tc.priors)
		}
	}
	before, err := os.ReadFile(filepath.Join(dir, "before.safetensors"))
	if none, err2 := os.ReadFile(filepath.Join(dir, "none.safetensors")); err != nil || err2 != nil || len(none) == 0 || !bytes.Equal(before, none) {
		t.Errorf("export --priors none differs from the export of the run before it had priors (%v, %v)", err, err2)
	}
}

// TestExportRefusesAnotherRunsPrior: a prior fitted to another run is
// refused, naming the prior's folder, and no file is written.
func TestExportRefusesAnotherRunsPrior(t *testing.T) {
	b := testenv.XLA(t)
	cfg := models.Config{Height: 8, Width: 8, Channels: 1, Latent: 2, Widths: []int{4}, Kernel: 3,
		Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
	dir := t.TempDir()
	runDir := randomRun(t, b, cfg, filepath.Join(dir, "run"))
	otherCfg := cfg
	otherCfg.Hidden = 4 // another recipe
	other := randomRun(t, b, otherCfg, filepath.Join(dir, "other"))
	saveGMM(t, other, runDir) // fitted to the first run
	var out, errb bytes.Buffer
	code := run([]string{"export", "--run", other, "-o", filepath.Join(dir, "other.safetensors")}, &out, &errb)
	if _, err := os.Stat(filepath.Join(dir, "other.safetensors")); err == nil {
		t.Errorf("a refused export wrote its file")
	}
	if want := "--run: the gmm prior: " + filepath.Join(other, "priors", "gmm"); code != 1 || !strings.Contains(errb.String(), want) ||
		!strings.Contains(errb.String(), "fitted to") {
		t.Errorf("export of a run holding another run's prior: exit %d, %q; want exit 1, %q and \"fitted to\"", code, errb.String(), want)
	}
}

// saveGMM fits a 3-component mixture to random codes, stamped as fitted to
// the run in fittedTo, and saves it as runDir's gmm prior.
func saveGMM(t *testing.T, runDir, fittedTo string) {
	t.Helper()
	run, err := rundir.Load(fittedTo)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := prior.OriginOf(run)
	if err != nil {
		t.Fatal(err)
	}
	cfg := prior.Config{Components: 3, Draws: 1, DrawTemperature: 1, Seed: 1}
	origin.Stamp(&cfg)
	rng := rand.New(rand.NewPCG(1, 1))
	codes := prior.Codes{}
	for i := range 200 {
		codes.Z = append(codes.Z, float64(i%3)+rng.NormFloat64(), rng.NormFloat64())
	}
	m, _, err := prior.FitMixtures(cfg, codes, codes)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(prior.Dir(runDir, "gmm")); err != nil {
		t.Fatal(err)
	}
}

// TestPythonPriorRefusals: the numpy sampler refuses a prior the file does
// not hold, naming those it holds, and a diffusion prior of a schedule or
// prediction it does not know, instead of drawing wrong codes.
func TestPythonPriorRefusals(t *testing.T) {
	python := testenv.PythonNumpy(t)
	cfg := models.DefaultConfig()
	meta, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x0Spec := fmt.Sprintf(`{"kind":"diffusion","sampler":"ddim","config":{"latent":%d,"mean":[],"std":[],"diffusion":{"blocks":1}},`+
		`"schedule":{"name":"cosine","prediction":"x0","activation":"swish"}}`, cfg.Latent) // it knows epsilon and v
	for _, tc := range []struct {
		meta map[string]string
		kind string
		want string
	}{
		{map[string]string{}, "gmm", "no gmm prior in the file (priors it holds: none"},
		{map[string]string{"prior/diffusion": x0Spec}, "gmm", "no gmm prior in the file (priors it holds: diffusion)"},
		{map[string]string{"prior/diffusion": x0Spec}, "diffusion", "prediction 'x0'"},
	} {
		tc.meta["model"] = string(meta)
		model := filepath.Join(t.TempDir(), "model.safetensors")
		if _, err := safetensors.Write(model, nil, tc.meta); err != nil {
			t.Fatal(err)
		}
		msg, err := exec.Command(python, pythonDecoder, model, "--prior", tc.kind, "-o", filepath.Join(t.TempDir(), "x.npy")).CombinedOutput()
		if err == nil || !strings.Contains(string(msg), tc.want) {
			t.Errorf("--prior %s of a file with %v: %v, %q; want an error and %q", tc.kind, tc.meta, err, msg, tc.want)
		}
	}
}
