package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/internal/cli"
	"github.com/latent-vae/latent/internal/runlock"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/vae"
)

// priorFiles is every file under the run's priors/KIND with its bytes.
func priorFiles(t *testing.T, runDir, kind string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(prior.Dir(runDir, kind))
	for _, e := range entries {
		if e.Name() != runlock.FileName {
			out[e.Name()] = string(mustRead(t, filepath.Join(prior.Dir(runDir, kind), e.Name())))
		}
	}
	return out
}

// samePriorFiles fails unless the run's prior of kind holds what before held.
func samePriorFiles(t *testing.T, runDir, kind string, before map[string]string) {
	t.Helper()
	after := priorFiles(t, runDir, kind)
	if len(after) != len(before) {
		t.Errorf("priors/%s: %d files, %d before", kind, len(after), len(before))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("priors/%s/%s changed", kind, name)
		}
	}
}

// genLatentFails runs latent, expecting a non-zero exit whose stderr holds
// every part of want, on one line.
func genLatentFails(t *testing.T, want []string, args ...string) {
	t.Helper()
	code, _, stderr := genLatent(args...)
	if code == 0 {
		t.Fatalf("latent %s succeeded", strings.Join(args, " "))
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("latent %s: exit %d, %q does not say %q", strings.Join(args, " "), code, stderr, w)
		}
	}
}

// saveRunCheckpoint saves the run's checkpoint of step: its step-0
// weights, or with seed > 0 fresh ones.
func saveRunCheckpoint(t *testing.T, runDir string, step, seed int64) {
	t.Helper()
	cfg, err := rundir.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if seed > 0 {
		if err := ctx.SetRNGStateFromSeed(seed); err != nil {
			t.Fatal(err)
		}
		if err := models.CreateVariables(genSkipWithoutXLA(t), ctx, cfg.Model); err != nil {
			t.Fatal(err)
		}
	} else {
		ck, err := checkpoints.Load(filepath.Join(runDir, checkpoints.Name(0)))
		if err != nil {
			t.Fatal(err)
		}
		if err := ck.Restore(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := checkpoints.Save(runDir, step, cfg, ctx, 5); err != nil {
		t.Fatal(err)
	}
}

// copyPriors copies the priors of run from into run to.
func copyPriors(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(filepath.Join(to, "priors"), os.DirFS(filepath.Join(from, "priors"))); err != nil {
		t.Fatal(err)
	}
}

// TestPriorForeignRefused: a prior of another size, another run or
// another checkpoint of the run's step is refused in one line naming both;
// one fitted to an earlier checkpoint of the run is used with a warning.
func TestPriorForeignRefused(t *testing.T) {
	six, _ := genTestRunOf(t, 1, 0, func(m *models.Config) { m.Latent = 6 })
	genMustRun(t, "prior", "fit", "--run", six, "--kind", "gmm", "--components", "2")
	base, _ := genTestRun(t, 1)
	genMustRun(t, "prior", "fit", "--run", base, "--kind", "gmm", "--components", "2")
	for _, tc := range []struct {
		name    string
		target  func(t *testing.T) string // the run sampled, holding a prior
		want    []string                  // in the error; nil: a success
		warning string
	}{
		{"a 6-d run's prior in a 4-d run", func(t *testing.T) string {
			four, _ := genTestRunOf(t, 1, 0, func(m *models.Config) { m.Latent = 4 })
			copyPriors(t, six, four)
			return four
		}, []string{"fitted to the 6-dimensional code", "has a 4-dimensional code", "latent prior fit --run "}, ""},
		{"another run of the same size", func(t *testing.T) string {
			other, _ := genTestRun(t, 1) // its data lie elsewhere: another recipe
			copyPriors(t, base, other)
			return other
		}, []string{"of another run (recipe sha"}, ""},
		{"another checkpoint at the same step", func(t *testing.T) string {
			copied := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(copied, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			saveRunCheckpoint(t, copied, 0, 2)
			return copied
		}, []string{"holds another checkpoint of step 0"}, ""},
		{"an earlier checkpoint of the run", func(t *testing.T) string {
			copied := filepath.Join(t.TempDir(), "run")
			if err := os.CopyFS(copied, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			saveRunCheckpoint(t, copied, 5, 0)
			return copied
		}, nil, "warning: the gmm prior was fitted to the codes of step 0, the run is at step 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runDir := tc.target(t)
			out := t.TempDir()
			args := []string{"sample", "--run", runDir, "--prior", "gmm", "-n", "4", "-o", filepath.Join(out, "s.png")}
			if tc.want != nil {
				genMustFail(t, out, tc.want[0], args...)
				genLatentFails(t, tc.want, args...)
				// What `latent score --prior all` and serve open skips it,
				// saying why, and opens the rest.
				sess := openTestRun(t, runDir)
				names, samplers, err := sess.OpenSamplers(vae.DefaultPriorSteps, 4)
				if err != nil {
					t.Fatalf("opening every prior: %v; want the gmm prior skipped", err)
				}
				for _, c := range samplers {
					c.Close()
				}
				_, skipped, err := sess.UsablePriors()
				if err != nil || len(skipped) != 1 || skipped[0].Prior != prior.KindGMM || !strings.Contains(skipped[0].Reason, tc.want[0]) {
					t.Errorf("usable priors: skipped %+v, %v; want the gmm prior, saying %q", skipped, err, tc.want[0])
				}
				if !slices.Equal(names, []string{prior.Normal}) {
					t.Errorf("opened %v; want N(0, I) alone", names)
				}
				return
			}
			code, _, stderr := genLatent(args...)
			if code != 0 || !strings.Contains(stderr, tc.warning) {
				t.Errorf("exit %d, %q; want a success warning %q", code, stderr, tc.warning)
			}
		})
	}
}

// TestPriorOversizedMixtureRefused: more components than the codes hold
// are refused before anything is encoded or replaced.
func TestPriorOversizedMixtureRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		classes int
		args    []string
		want    []string
	}{
		{"5000 on 1000", 0, []string{"--components", "5000", "--draws", "50"}, []string{"--components 5000", "there are 1000 codes", "nothing was replaced"}},
		{"7 on 20 in 2-d", 0, []string{"--components", "7"}, []string{"--components 7", "needs at least 21 codes", "there are 20 codes: at most 6 components"}},
		{"4 per class of 10", 2, []string{"--components", "4"}, []string{"--components 4", "the largest of 2 classes has 10 codes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runDir, _ := genTestRunOf(t, 1, tc.classes, func(m *models.Config) { m.Classes = tc.classes })
			genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
			before := priorFiles(t, runDir, prior.KindGMM)
			genLatentFails(t, tc.want, append([]string{"prior", "fit", "--run", runDir, "--kind", "gmm"}, tc.args...)...)
			samePriorFiles(t, runDir, prior.KindGMM, before)
		})
	}
}

// TestPriorRefitReplacesWhole: a new fit of fewer steps replaces the prior
// (checkpoints and metrics.csv), and --resume to no more steps than done
// is refused, saying nothing was done.
func TestPriorRefitReplacesWhole(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	fit := func(extra ...string) []string {
		return append(append([]string{"prior", "fit", "--run", runDir}, tinyDiffusion...), extra...)
	}
	genMustRun(t, fit("--steps", "30")...)
	code, stdout, stderr := genLatent(fit("--steps", "20")...)
	if code != 0 || !strings.Contains(stdout, "20 steps") {
		t.Fatalf("a new fit of 20 steps: exit %d, %q %q", code, stdout, stderr)
	}
	files := priorFiles(t, runDir, prior.KindDiffusion)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	if want := []string{checkpoints.Name(20), "metrics.csv", prior.QualityFile}; !slices.Equal(names, want) {
		t.Errorf("priors/diffusion after a 20-step refit of a 30-step prior: %v; want %v", names, want)
	}
	if rows := strings.Split(strings.TrimSpace(files["metrics.csv"]), "\n"); len(rows) != 2 || !strings.HasPrefix(rows[1], "20,") {
		t.Errorf("metrics.csv: %q; want the header and step 20's row", rows)
	}
	if saved, err := prior.Read(runDir, prior.KindDiffusion); err != nil || saved.Ckpt.Step != 20 {
		t.Errorf("the prior read back: %v, %v; want step 20", saved, err)
	}
	for _, steps := range []string{"10", "20"} {
		genLatentFails(t, []string{"--resume --steps " + steps, "has done 20 steps already; nothing was done"}, fit("--steps", steps, "--resume")...)
		samePriorFiles(t, runDir, prior.KindDiffusion, files)
		if _, err := os.Stat(prior.PartialDir(runDir, prior.KindDiffusion)); !os.IsNotExist(err) {
			t.Errorf("the refused --resume left a partial folder: %v", err)
		}
	}
	if code, stdout, _ := genLatent(fit("--steps", "25", "--resume")...); code != 0 || !strings.Contains(stdout, "resumed at step 20") {
		t.Errorf("--resume --steps 25: exit %d, %q; want it to say it resumed at step 20", code, stdout)
	}
	if s, err := prior.Read(runDir, prior.KindDiffusion); err != nil || s.Ckpt.Step != 25 {
		t.Errorf("after --resume --steps 25: %v, %v; want step 25", s, err)
	}
}

// TestPriorFitLocked: a fit of a kind being fitted is refused, naming the
// holder, before the codes are encoded (the data set is gone here), and
// nothing is replaced.
func TestPriorFitLocked(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
	genMustRun(t, append(append([]string{"prior", "fit", "--run", runDir}, tinyDiffusion...), "--steps", "5")...)
	cfg, err := rundir.ReadConfig(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cfg.Data.Spec, cfg.Data.Spec+".gone"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--kind", "gmm", "--components", "2"}, tinyDiffusion} {
		kind := args[1]
		t.Run(kind, func(t *testing.T) {
			lock, err := runlock.AcquireFile(filepath.Join(runDir, "priors", "."+kind+".lock"))
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Release()
			before := priorFiles(t, runDir, kind)
			genLatentFails(t, []string{fmt.Sprintf("is being fitted by process %d", os.Getpid())},
				append([]string{"prior", "fit", "--run", runDir}, args...)...)
			samePriorFiles(t, runDir, kind, before)
		})
	}
}

// TestPriorFitSignal: SIGTERM stops a diffusion fit with exit 130, its
// checkpoint saved beside the prior in use, which is unchanged; --resume
// continues it and puts it in place.
func TestPriorFitSignal(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	fit := append(append([]string{"prior", "fit", "--run", runDir}, tinyDiffusion...), genBackendF)
	genMustRun(t, append(fit[:len(fit)-1:len(fit)-1], "--steps", "10")...)
	before := priorFiles(t, runDir, prior.KindDiffusion)
	var stderr bytes.Buffer
	cmd := latentCmd(nil, append(fit, "--steps", "10000000")...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	partial := prior.PartialDir(runDir, prior.KindDiffusion)
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if names, _ := checkpoints.List(partial); len(names) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint in %s after 3 minutes", partial)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(stderr.String(), "--resume --steps 10000000") {
		t.Fatalf("SIGTERM: exit %d, %q; want 130 and how to resume", code, stderr.String())
	}
	samePriorFiles(t, runDir, prior.KindDiffusion, before)
	m := regexp.MustCompile(`interrupted at step (\d+) of`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr %q does not name the step reached", stderr.String())
	}
	done, _ := strconv.ParseInt(m[1], 10, 64)
	if ck, _, err := checkpoints.Latest(partial); err != nil || ck.Step != done || done < 1000 {
		t.Fatalf("the interrupted fit's checkpoint: %v, %v; want step %d (≥ 1000)", ck, err, done)
	}
	end := strconv.FormatInt(done+5, 10)
	genMustRun(t, append(fit[:len(fit)-1:len(fit)-1], "--steps", end, "--resume")...)
	if s, err := prior.Read(runDir, prior.KindDiffusion); err != nil || s.Ckpt.Step != done+5 {
		t.Errorf("the resumed prior: %v, %v; want step %s", s, err, end)
	}
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("the partial fit outlived its commit: %v", err)
	}
}

// TestPriorDocumentedDefaults compares the defaults docs/generate.md gives
// the priors with the code's.
func TestPriorDocumentedDefaults(t *testing.T) {
	doc := strings.Join(strings.Fields(string(mustRead(t, "../../docs/generate.md"))), " ")
	fs, _ := priorFitFlagSet(io.Discard)
	sampleFS := testFlagSet()
	addPriorFlags(sampleFS)
	flagDefault := func(name string) string { return fs.Lookup(name).DefValue }
	d := prior.DefaultDiffusion()
	for _, tc := range []struct {
		pattern, code string
	}{
		{"`--components` \\((\\d+)\\)", flagDefault("components")},
		{"`--width` (\\d+)", flagDefault("width")},
		{"`--blocks` (\\d+)", flagDefault("blocks")},
		{"`--lr` ([\\d.]+)", strconv.FormatFloat(d.LR, 'f', -1, 64)},
		{"after a (\\d+)-step warm-up", strconv.Itoa(prior.WarmupSteps)},
		{"`--steps` (\\d+)", flagDefault("steps")},
		{"`--batch` (\\d+)", flagDefault("batch")},
		{"`--ema` \\(([\\d.]+)\\)", flagDefault("ema")},
		{"`--prior-steps` \\((\\d+)\\)", sampleFS.Lookup("prior-steps").DefValue},
		{"diffusion prior fits `--draws` \\((\\d+)\\)", "4"},
		{"mixture fits `--draws` \\((\\d+)\\)", "1"},
		{"`--layers` (\\d+)", flagDefault("layers")},
		{"`--heads` (\\d+)", flagDefault("heads")},
		{"(\\d+) steps of \\d+ grids", strconv.FormatInt(prior.DefaultTransformer().Steps, 10)},
		{"\\d+ steps of (\\d+) grids", strconv.Itoa(prior.DefaultTransformer().BatchSize)},
		{"weights \\(([\\d.]+)\\) that samples", strconv.FormatFloat(prior.DefaultTransformer().EMA, 'f', -1, 64)},
		{"a learning rate \\(([\\d.]+)\\) that decays as a half cosine", strconv.FormatFloat(prior.DefaultTransformer().LR, 'f', -1, 64)},
		{"an embedding of width (\\d+)", strconv.Itoa(prior.DefaultTransformer().Width)},
		{"one draw \\(`--draws` (\\d+)\\)", strconv.Itoa(transformerKind(t).Draws)},
	} {
		m := regexp.MustCompile(tc.pattern).FindStringSubmatch(doc)
		if m == nil {
			t.Errorf("docs/generate.md does not give %s", tc.pattern)
		} else if m[1] != tc.code {
			t.Errorf("docs/generate.md: %s is %s, the code's %s", tc.pattern, m[1], tc.code)
		}
	}
	// The README's numbers name the diffusion fit's default steps too.
	readme := strings.Join(strings.Fields(string(mustRead(t, "../../README.md"))), " ")
	if m := regexp.MustCompile(`diffusion prior [\d.]+ \(its default ([\d,]+) steps`).FindStringSubmatch(readme); m == nil {
		t.Error("README.md does not give the diffusion prior's default steps")
	} else if got, want := strings.ReplaceAll(m[1], ",", ""), strconv.FormatInt(d.Steps, 10); got != want {
		t.Errorf("README.md: the diffusion prior's default is %s steps, the code's %s", m[1], want)
	}
	// The draws' defaults are the flag check's.
	for kind, want := range map[string]int{prior.KindGMM: 1, prior.KindDiffusion: 4} {
		fs, f := priorFitFlagSet(io.Discard)
		if err := fs.Parse([]string{"--run", "r", "--kind", kind}); err != nil {
			t.Fatal(err)
		}
		if err := f.check(cli.Given(fs)); err != nil || f.cfg.Draws != want {
			t.Errorf("--kind %s: draws %d (%v); want %d", kind, f.cfg.Draws, err, want)
		}
	}
}

// TestPriorLabelAndTemperature: the codes a conditional run's gmm prior
// draws through the commands' path come from each label's own mixture, a
// temperature of 0 draws the means, and `latent sample --label` draws the
// same grid for the same label and seed, another for another label.
func TestPriorLabelAndTemperature(t *testing.T) {
	runDir, _ := genTestRunOf(t, 1, 2, func(m *models.Config) { m.Classes = 2 })
	genMustRun(t, "prior", "fit", "--run", runDir, "--kind", "gmm", "--components", "2")
	out := t.TempDir()
	png := func(label, seed string) string {
		path := filepath.Join(out, label+"-"+seed+".png")
		genMustRun(t, "sample", "--run", runDir, "--label", label, "-n", "6", "--seed", seed, "-o", path)
		return path
	}
	a, again, b := png("0", "3"), png("0", "3"), png("1", "3")
	genSameFiles(t, a, again)
	genSameFilesNot(t, a, b)

	// A mixture per class planted far apart: class 0 at (-5, -5), 1 at (5, 5).
	run, err := rundir.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	origin, err := prior.OriginOf(run)
	if err != nil {
		t.Fatal(err)
	}
	cfg := prior.Config{Components: 1, Seed: 1}
	origin.Stamp(&cfg)
	var z []float64
	labels := make([]int, 200)
	for i := range labels {
		labels[i] = i % 2
		c := 10*float64(labels[i]) - 5
		z = append(z, c+math.Sin(float64(i)), c+math.Cos(float64(i)))
	}
	m, _, err := prior.FitMixtures(cfg, prior.Codes{Z: z, Labels: labels}, prior.Codes{Z: z, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(prior.Dir(runDir, prior.KindGMM)); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(prior.Dir(runDir, prior.KindGMM)); err != nil {
		t.Fatal(err)
	}
	s := openTestRun(t, runDir)
	name := prior.KindGMM
	ys := []int{0, 1, 1, 0, 1, 0, 0, 1}
	for _, temp := range []float64{1, 0} {
		codes, _, err := s.Sample(name, vae.DefaultPriorSteps, len(ys), 4, temp, ys)
		if err != nil {
			t.Fatal(err)
		}
		for i, y := range ys {
			want := 10*float64(y) - 5
			for j := range 2 {
				v, first := codes[2*i+j], codes[2*slices.Index(ys, y)+j]
				if !(math.Abs(float64(v)-want) < 3) || temp == 0 && v != first {
					t.Errorf("temperature %g, code %d of label %d: %g; want near %g (the label's mixture), at 0 its mean %g", temp, i, y, v, want, first)
				}
			}
		}
	}
}

// transformerKind is the registered transformer prior kind.
func transformerKind(t *testing.T) prior.Kind {
	t.Helper()
	k, ok := prior.Lookup(prior.KindTransformer)
	if !ok {
		t.Fatal("no transformer prior kind registered")
	}
	return k
}
