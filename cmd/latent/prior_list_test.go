package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/vae"
)

// priorList runs latent prior list --json on run and decodes its rows.
func priorList(t *testing.T, run string) []prior.ListRow {
	t.Helper()
	code, stdout, stderr := genLatent("prior", "list", "--run", run, "--json")
	if code != 0 {
		t.Fatalf("latent prior list --json: exit %d: %s", code, stderr)
	}
	var rows []prior.ListRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("latent prior list --json printed %q: %v", stdout, err)
	}
	return rows
}

// autoSample runs latent sample --prior auto to .npy on run and returns
// its stderr.
func autoSample(t *testing.T, run string) string {
	t.Helper()
	code, _, stderr := genLatent("sample", "--run", run, "-n", "4", "-o", filepath.Join(t.TempDir(), "x.npy"))
	if code != 0 {
		t.Fatalf("latent sample: exit %d: %s", code, stderr)
	}
	return stderr
}

// TestPriorFitStoresItsScore: on an MNIST run (whose feature network ships
// with latent) a fit stores a finite FID with its fit's time, and prior
// list shows it; --prior auto goes by the stored scores, not by the kinds'
// rank, and says why; a prior without a score (fitted before fits were
// scored) still draws, ranked after the scored ones, and the commands say
// how to score it.
func TestPriorFitStoresItsScore(t *testing.T) {
	run := tinyRun(t, 4, 500, 200, 30, 32)
	code, stdout, stderr := genLatent("prior", "fit", "--run", run, "--kind", "gmm", "--components", "2")
	if code != 0 || !strings.Contains(stdout, "score: FID ") {
		t.Fatalf("latent prior fit: exit %d, stdout %q does not give the score: %s", code, stdout, stderr)
	}
	rows := priorList(t, run)
	if len(rows) != 1 || rows[0].Kind != prior.KindGMM || !rows[0].Current || !rows[0].AutoPick {
		t.Fatalf("prior list: %+v; want the gmm prior, current, auto's pick", rows)
	}
	q := rows[0].Quality
	if !q.Scored() || !(q.FID > 0) || math.IsInf(q.FID, 0) || !(q.FitSeconds > 0) || q.Samples != 2000 ||
		!(q.Precision >= 0 && q.Precision <= 1) || !(q.Recall >= 0 && q.Recall <= 1) {
		t.Errorf("the stored score: %+v; want a finite FID > 0 of 2000 samples, its fit time > 0", q)
	}
	genMustRun(t, "prior", "fit", "--run", run, "--kind", "gaussian")
	npy := func() []byte {
		out := filepath.Join(t.TempDir(), "gmm.npy")
		genMustRun(t, "sample", "--run", run, "--prior", "gmm", "-n", "8", "-o", out)
		return mustRead(t, out)
	}
	before := npy()
	// Scores against the kinds' order (gmm ranks above gaussian).
	setFID(t, run, prior.KindGMM, 9)
	setFID(t, run, prior.KindGaussian, 5)
	if s := autoSample(t, run); !strings.Contains(s, "prior auto: gaussian (FID 5, the best of gaussian 5, gmm 9 measured at fit)") {
		t.Errorf("auto with gaussian 5, gmm 9: stderr %q does not pick gaussian saying why", s)
	}
	if string(npy()) != string(before) {
		t.Error("the stored score changed the gmm prior's samples")
	}
	// The gaussian as a prior fitted before fits were scored.
	if err := os.Remove(filepath.Join(prior.Dir(run, prior.KindGaussian), prior.QualityFile)); err != nil {
		t.Fatal(err)
	}
	setFID(t, run, prior.KindGMM, 50)
	if s := autoSample(t, run); !strings.Contains(s, "prior auto: gmm (FID 50, the best of gmm 50 measured at fit; unscored, so ranked after: gaussian "+
		"(`latent prior score --run "+run+" --kind KIND` scores one))") {
		t.Errorf("auto with gmm 50 and an unscored gaussian: stderr %q does not pick gmm saying why", s)
	}
	code, stdout, stderr = genLatent("prior", "list", "--run", run)
	if code != 0 || !strings.Contains(stdout, "unscored") || !strings.Contains(stdout, "gmm (2 components)") ||
		!strings.Contains(stderr, "gaussian: unscored, fitted before latent scored its fits") ||
		!strings.Contains(stderr, "latent prior score --run "+run+" --kind gaussian") {
		t.Errorf("latent prior list: exit %d, stdout %q, stderr %q; want the table and how to score the gaussian", code, stdout, stderr)
	}
	if err := os.Remove(filepath.Join(prior.Dir(run, prior.KindGMM), prior.QualityFile)); err != nil {
		t.Fatal(err)
	}
	if s := autoSample(t, run); !strings.Contains(s, "prior auto: gmm (unscored: no fitted prior of the run has a score (gmm was fitted before latent scored its fits)") ||
		!strings.Contains(s, "latent prior score --run "+run+" --kind gmm") {
		t.Errorf("auto with two unscored priors: stderr %q does not pick gmm by rank saying so and how to score it", s)
	}
	// prior score scores an old prior in place; auto then goes by it.
	code, stdout, stderr = genLatent("prior", "score", "--run", run, "--kind", "gaussian")
	if code != 0 || !strings.Contains(stdout, "score: FID ") {
		t.Fatalf("latent prior score: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	if rows := priorList(t, run); len(rows) != 2 || rows[0].Kind != prior.KindGaussian || !rows[0].Quality.Scored() || rows[1].Quality != nil {
		t.Errorf("prior list after prior score --kind gaussian: %+v; want the gaussian scored, first", rows)
	}
	if s := autoSample(t, run); !strings.Contains(s, "prior auto: gaussian (FID ") {
		t.Errorf("auto with a scored gaussian and an unscored gmm: stderr %q does not pick the gaussian", s)
	}
}

// setFID stores fid as the score of run's prior of kind, keeping the
// temperature its fit chose.
func setFID(t *testing.T, run, kind string, fid float64) {
	t.Helper()
	setQuality(t, run, kind, func(q *prior.Quality) { q.FID = fid })
}

// setQuality changes the stored score of run's prior of kind by set (on a
// zero Quality of 2000 samples when none is stored).
func setQuality(t *testing.T, run, kind string, set func(*prior.Quality)) {
	t.Helper()
	saved, err := prior.Read(run, kind)
	if err != nil {
		t.Fatal(err)
	}
	q, err := prior.ReadQuality(saved)
	if err != nil {
		t.Fatal(err)
	}
	if q == nil {
		q = &prior.Quality{Samples: 2000, FitSeconds: 1}
	}
	set(q)
	if err := prior.WriteQuality(prior.Dir(run, kind), *q); err != nil {
		t.Fatal(err)
	}
}

// TestPriorDrawsAtItsChosenTemperature: a fit tries each of
// prior.QualityTemperatures against training images and stores the one
// of the lowest FID; its stored score is what latent score measures at
// that temperature; a command given no --temperature draws at the stored
// one, and one given --temperature draws at that.
func TestPriorDrawsAtItsChosenTemperature(t *testing.T) {
	run := tinyRun(t, 4, 500, 200, 30, 32)
	genMustRun(t, "prior", "fit", "--run", run, "--kind", "gmm", "--components", "2")
	q := priorList(t, run)[0].Quality
	tried := prior.QualityTemperatures()
	if len(q.Tried) != len(tried) {
		t.Fatalf("the fit tried %+v, want each of %v", q.Tried, tried)
	}
	best := q.Tried[0]
	for i, tr := range q.Tried {
		if tr.Temperature != tried[i] || !(tr.TrainFID > 0) {
			t.Errorf("tried %d: %+v, want temperature %g and a finite FID", i, tr, tried[i])
		}
		if tr.TrainFID < best.TrainFID {
			best = tr
		}
	}
	if q.Temperature != best.Temperature {
		t.Errorf("chose temperature %g, want %g, the lowest FID of %+v", q.Temperature, best.Temperature, q.Tried)
	}
	code, stdout, stderr := genLatent("score", "--run", run, "--prior", "gmm", "-n", "2000", "--seed", "1",
		"--temperature", fmt.Sprint(q.Temperature), "--json")
	var rep vae.Report
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || len(rep.Rows) == 0 {
		t.Fatalf("latent score: exit %d: %s", code, stderr)
	}
	if got := rep.Rows[0].FID; !(math.Abs(got-q.FID) <= 1e-9*q.FID) {
		t.Errorf("latent score at temperature %g: FID %g, the stored score %g", q.Temperature, got, q.FID)
	}
	setQuality(t, run, prior.KindGMM, func(q *prior.Quality) { q.Temperature = 0.5 })
	draw := func(args ...string) []byte {
		out := filepath.Join(t.TempDir(), "s.npy")
		genMustRun(t, append([]string{"sample", "--run", run, "--prior", "gmm", "-n", "8", "-o", out}, args...)...)
		return mustRead(t, out)
	}
	code, stdout, stderr = genLatent("score", "--run", run, "--prior", "gmm", "-n", "50", "--json")
	rep = vae.Report{}
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || len(rep.Rows) < 2 {
		t.Fatalf("latent score: exit %d: %s", code, stderr)
	}
	if r := rep.Rows; r[0].Temperature != 0.5 || r[1].Temperature != 0 {
		t.Errorf("latent score without --temperature: rows %q at %g and %q at %g; want the gmm's at its stored 0.5, the next with none",
			r[0].Name, r[0].Temperature, r[1].Name, r[1].Temperature)
	}
	chosen, half, one := draw(), draw("--temperature", "0.5"), draw("--temperature", "1")
	if !bytes.Equal(chosen, half) || bytes.Equal(chosen, one) {
		t.Errorf("with 0.5 stored, no --temperature drew as --temperature 0.5: %v, as 1: %v; want as 0.5 only",
			bytes.Equal(chosen, half), bytes.Equal(chosen, one))
	}
	if code, _, stderr := genLatent("sample", "--run", run, "--temperature", "-0.5", "-o", filepath.Join(t.TempDir(), "x.npy")); code == 0 ||
		!strings.Contains(stderr, "--temperature -0.5: want ≥ 0") {
		t.Errorf("--temperature -0.5: exit %d, stderr %q; want it refused naming the flag", code, stderr)
	}
}

// TestPriorListUnscored: a run whose data set has no feature network
// without training one fits its prior unscored, says why, and lists it so.
func TestPriorListUnscored(t *testing.T) {
	run, _ := genTestRun(t, 1)
	if code, stdout, _ := genLatent("prior", "list", "--run", run); code != 0 || !strings.Contains(stdout, "has no fitted prior") {
		t.Errorf("prior list of a run without priors: exit %d, %q", code, stdout)
	}
	code, stdout, stderr := genLatent("prior", "fit", "--run", run, "--kind", "gaussian")
	if code != 0 || !strings.Contains(stdout, "score: unscored: ") {
		t.Fatalf("latent prior fit: exit %d, stdout %q does not say it is unscored: %s", code, stdout, stderr)
	}
	rows := priorList(t, run)
	if len(rows) != 1 || rows[0].Quality == nil || rows[0].Quality.Scored() || rows[0].Quality.Unscored == "" || !(rows[0].Quality.FitSeconds > 0) {
		t.Errorf("prior list: %+v; want the gaussian, unscored with a reason and its fit time", rows)
	}
	if code, _, stderr := genLatent("prior", "list", "--run", run); code != 0 || !strings.Contains(stderr, "gaussian: unscored: ") {
		t.Errorf("latent prior list: exit %d, stderr %q does not say why the gaussian is unscored", code, stderr)
	}
}
