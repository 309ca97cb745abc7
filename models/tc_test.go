package models

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/internal/testenv"
)

// TestLogImportanceWeights checks the estimators' weights as Chen et al.
// define them: every MWS weight 1/(N·B); MSS's 1/N on the diagonal (the
// code's own image, where rtqichen/beta-tcvae's strided view put it in
// the first column: PR#1), one (N−M)/(N·M) in each row off the diagonal
// and 1/M elsewhere (M = B − 1), each row summing to 1.
func TestLogImportanceWeights(t *testing.T) {
	for _, c := range []struct{ b, n int }{{2, 2}, {3, 10}, {5, 5}, {7, 60000}} {
		w, err := LogImportanceWeights(c.b, c.n, EstimatorMSS)
		if err != nil {
			t.Fatal(err)
		}
		n, m := float64(c.n), float64(c.b-1)
		for i := range c.b {
			sum, strata := 0.0, 0
			for j := range c.b {
				v := math.Exp(w[i*c.b+j])
				sum += v
				switch {
				case i == j:
					if d := math.Abs(v - 1/n); !(d <= 1e-12) {
						t.Errorf("B %d, N %d: w[%d][%d] = %v, want 1/N = %v", c.b, c.n, i, j, v, 1/n)
					}
				case math.Abs(v-(n-m)/(n*m)) <= 1e-12 && strata == 0:
					strata++
				case math.Abs(v-1/m) > 1e-12:
					t.Errorf("B %d, N %d: w[%d][%d] = %v, want 1/M = %v or one (N−M)/(N·M) = %v", c.b, c.n, i, j, v, 1/m, (n-m)/(n*m))
				}
			}
			if d := math.Abs(sum - 1); !(d <= 1e-12) {
				t.Errorf("B %d, N %d: row %d sums to %v, want 1", c.b, c.n, i, sum)
			}
		}
		mws, err := LogImportanceWeights(c.b, c.n, EstimatorMWS)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range mws {
			if d := math.Abs(math.Exp(v) - 1/(n*float64(c.b))); !(d <= 1e-15) {
				t.Fatalf("B %d, N %d: an MWS weight %v, want 1/(N·B)", c.b, c.n, math.Exp(v))
			}
		}
	}
	for _, c := range []struct {
		b, n int
		est  string
	}{{1, 10, EstimatorMSS}, {8, 7, EstimatorMWS}, {4, 10, "nope"}} {
		if _, err := LogImportanceWeights(c.b, c.n, c.est); err == nil {
			t.Errorf("LogImportanceWeights(%d, %d, %q): no error", c.b, c.n, c.est)
		}
	}
}

// tcBatch is a tiny batch of posteriors and codes drawn from them.
type tcBatch struct {
	Mean, LogVar, Z [][]float64
}

// newTCBatch draws b posteriors of d dimensions (means in ±2, log-variances
// in [−3, 0.5]) and a code from each.
func newTCBatch(b, d int, seed uint64) tcBatch {
	rng := rand.New(rand.NewPCG(seed, 3))
	var c tcBatch
	for range b {
		var m, lv, z []float64
		for range d {
			mu, l := 4*rng.Float64()-2, -3+3.5*rng.Float64()
			m, lv = append(m, mu), append(lv, l)
			z = append(z, float64(float32(mu+math.Exp(l/2)*rng.NormFloat64())))
		}
		c.Mean, c.LogVar, c.Z = append(c.Mean, m), append(c.LogVar, lv), append(c.Z, z)
	}
	for i := range c.Mean { // the values float32 holds, for both sides
		for j := range c.Mean[i] {
			c.Mean[i][j], c.LogVar[i][j] = float64(float32(c.Mean[i][j])), float64(float32(c.LogVar[i][j]))
		}
	}
	return c
}

// tcResult is the terms per code, as testdata/tc.py writes them.
type tcResult struct {
	MI   []float64 `json:"mi"`
	TC   []float64 `json:"tc"`
	DWKL []float64 `json:"dwkl"`
	KL   []float64 `json:"kl"`
}

// latentTC runs DecomposeKL on c in float32, as training does.
func latentTC(t *testing.T, b backends.Backend, c tcBatch, n int, estimator string) tcResult {
	t.Helper()
	flat := func(v [][]float64) *tensors.Tensor {
		var f []float32
		for _, r := range v {
			for _, x := range r {
				f = append(f, float32(x))
			}
		}
		return tensors.FromFlatDataAndDimensions(f, len(v), len(v[0]))
	}
	exec, err := NewExec(b, func(mean, logVar, z *Node) []*Node {
		tc, err := DecomposeKL(mean, logVar, z, n, estimator)
		if err != nil {
			panic(err)
		}
		return []*Node{tc.MI, tc.TC, tc.DWKL, tc.KL}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(flat(c.Mean), flat(c.LogVar), flat(c.Z))
	if err != nil {
		t.Fatal(err)
	}
	vals := make([][]float64, len(out))
	for i, o := range out {
		for _, v := range tensors.MustCopyFlatData[float32](o) {
			vals[i] = append(vals[i], float64(v))
		}
	}
	return tcResult{MI: vals[0], TC: vals[1], DWKL: vals[2], KL: vals[3]}
}

// numpyTC runs testdata/tc.py on c.
func numpyTC(t *testing.T, python string, c tcBatch, n int, estimator string) tcResult {
	t.Helper()
	req, err := json.Marshal(map[string]any{"mean": c.Mean, "logvar": c.LogVar, "z": c.Z, "n": n, "estimator": estimator})
	if err != nil {
		t.Fatal(err)
	}
	var r tcResult
	testenv.PythonJSON(t, &r, python, req, "testdata/tc.py")
	if len(r.MI) != len(c.Z) {
		t.Fatalf("numpy returned %d values for %d codes", len(r.MI), len(c.Z))
	}
	return r
}

// TestDecomposeKLAgainstNumpy checks β-TCVAE's terms per code, for both
// estimators, against testdata/tc.py (numpy, float64) on tiny batches,
// within 2e-4 nats + 1e-5 relative (float32 log-densities and
// log-sum-exps of terms of tens of nats round at about 1e-5 nats).
func TestDecomposeKLAgainstNumpy(t *testing.T) {
	python := testenv.PythonNumpy(t)
	b := testenv.XLA(t)
	for _, c := range []struct {
		name      string
		b, d, n   int
		estimator string
	}{
		{"mss", 5, 3, 1000, EstimatorMSS},
		{"mws", 5, 3, 1000, EstimatorMWS},
		{"mss-whole-set", 6, 4, 6, EstimatorMSS},
		{"mws-pair", 2, 2, 50, EstimatorMWS},
	} {
		t.Run(c.name, func(t *testing.T) {
			batch := newTCBatch(c.b, c.d, uint64(c.b*c.d))
			got, want := latentTC(t, b, batch, c.n, c.estimator), numpyTC(t, python, batch, c.n, c.estimator)
			for _, term := range []struct {
				name      string
				got, want []float64
			}{{"MI", got.MI, want.MI}, {"TC", got.TC, want.TC}, {"DWKL", got.DWKL, want.DWKL}, {"KL", got.KL, want.KL}} {
				for i := range term.want {
					if d := math.Abs(term.got[i] - term.want[i]); !(d <= 2e-4+1e-5*math.Abs(term.want[i])) {
						t.Errorf("%s of code %d: latent %.6f, numpy %.6f", term.name, i, term.got[i], term.want[i])
					}
				}
			}
		})
	}
}

// TestDecomposeKLSumsToKL checks the paper's identity: MI + TC + DWKL is
// log q(z|x) − log p(z), the Monte-Carlo KL at the batch's codes, for
// each code and so for the batch's mean, whatever the estimator (the
// estimates of log q(z) and of the marginals cancel). The three terms
// are tens of nats computed in float32, so their sum keeps the KL to
// about 1e-5 of their magnitude: the bound is 1e-4 of it.
func TestDecomposeKLSumsToKL(t *testing.T) {
	b := testenv.XLA(t)
	batch := newTCBatch(16, 6, 7)
	for _, est := range []string{EstimatorMSS, EstimatorMWS} {
		r := latentTC(t, b, batch, 60000, est)
		var sum, kl, scale float64
		for i := range r.KL {
			s := r.MI[i] + r.TC[i] + r.DWKL[i]
			mag := math.Abs(r.MI[i]) + math.Abs(r.TC[i]) + math.Abs(r.DWKL[i]) + 1
			if d := math.Abs(s - r.KL[i]); !(d <= 1e-4*mag) {
				t.Errorf("%s, code %d: MI + TC + DWKL = %.6f, KL %.6f", est, i, s, r.KL[i])
			}
			sum, kl, scale = sum+s, kl+r.KL[i], scale+mag
		}
		n := float64(len(r.KL))
		if d := math.Abs(sum/n - kl/n); !(d <= 1e-4*scale/n) {
			t.Errorf("%s: batch means MI + TC + DWKL = %.6f, KL %.6f", est, sum/n, kl/n)
		}
	}
}
