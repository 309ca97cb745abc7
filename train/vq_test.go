package train

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// tinyVQConfig is tinyConfig's run of a vq model with quantizer: a 7×7
// grid of 4-d vectors, 64 codes for VQ, FSQ's 3·3·2 = 18 for FSQ.
func tinyVQConfig(quantizer string) rundir.Config {
	cfg := tinyConfig()
	m := &cfg.Model
	m.Model, m.Hidden, m.Quantizer, m.Blocks = models.VQModel, 0, quantizer, 1
	if quantizer == models.QuantizerVQ {
		m.Codebook = 64
	} else {
		m.Levels, m.Latent = []int{3, 3, 2}, 3
	}
	cfg.Model = models.WithFamilyDefaults(cfg.Model)
	return cfg
}

// TestVQRunReconstructsAndRestartsDeadCodes: a tiny VQ run's test
// reconstruction falls from its first evaluation to its last, its KL is
// cells·log K, metrics.csv has the quantiser's columns in range, and the
// same run without dead-code restarts uses fewer codes of the test split
// at its end (the codebook starts in [−1/K, 1/K], where the encoder's
// outputs pick few codes; restarts re-seed the others from them).
func TestVQRunReconstructsAndRestartsDeadCodes(t *testing.T) {
	testenv.MNIST(t)
	cfg := tinyVQConfig(models.QuantizerVQ)
	cfg.Steps = 30
	used := map[bool]float64{}
	for _, restarts := range []bool{true, false} {
		c := cfg
		c.Model.NoRestarts = !restarts
		dir := filepath.Join(t.TempDir(), "run")
		res := fit(t, c, Options{Out: dir})
		rows := readMetrics(t, dir)
		var tests []map[string]float64
		for _, r := range rows {
			for _, col := range rundir.QuantizerColumns(true) {
				if _, ok := r[col]; !ok {
					t.Fatalf("metrics.csv has no %s column", col)
				}
			}
			if p, u := r["train_perplexity"], r["train_codes_used"]; !(p >= 1 && p <= 64 && u > 0 && u <= 1 && r["train_commitment"] >= 0) {
				t.Errorf("step %v: train perplexity %v, codes used %v, commitment %v: want in [1, 64], (0, 1], ≥ 0", r["step"], p, u, r["train_commitment"])
			}
			if !math.IsNaN(r["test_recon"]) {
				tests = append(tests, r)
			}
		}
		if len(tests) < 2 {
			t.Fatalf("%d test rows, want at least 2", len(tests))
		}
		first, last := tests[0], tests[len(tests)-1]
		if restarts && !(last["test_recon"] < first["test_recon"]) {
			t.Errorf("test reconstruction %v at step %v, %v at step %v: want a fall", first["test_recon"], first["step"], last["test_recon"], last["step"])
		}
		if want := 49 * math.Log(64); !(math.Abs(last["test_kl"]-want) <= 1e-3) {
			t.Errorf("test KL %v, want cells·log K = %v", last["test_kl"], want)
		}
		if !(math.Abs(last["test_codes_used"]-res.Test.CodesUsed) <= 1e-4 && res.Test.Perplexity >= 1) {
			t.Errorf("the result's codes used %v, perplexity %v; metrics.csv's last %v", res.Test.CodesUsed, res.Test.Perplexity, last["test_codes_used"])
		}
		used[restarts] = res.Test.CodesUsed
	}
	if !(used[true] > used[false]) {
		t.Errorf("test codes used: %v with restarts, %v without; want more with them", used[true], used[false])
	}
	t.Logf("test codes used: %.3f with restarts, %.3f without", used[true], used[false])
}

// TestInitFromAVQRunTakesItsCodebook: fine-tuning from a VQ run starts
// from its codebook and cluster sizes (which the optimiser does not train,
// so copying the trainable weights alone left a fresh codebook).
func TestInitFromAVQRunTakesItsCodebook(t *testing.T) {
	testenv.MNIST(t)
	cfg := tinyVQConfig(models.QuantizerVQ)
	cfg.Steps = 3
	src := filepath.Join(t.TempDir(), "src")
	fit(t, cfg, Options{Out: src})
	tuned := cfg
	tuned.Init = src
	vars, _, err := initialState(testenv.XLA(t), tuned, nil)
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for _, v := range latest(t, src).Vars {
		if !models.IsQuantizerState(v.Scope) {
			continue
		}
		own := vars.GetVariableByScopeAndName(v.Scope, v.Name)
		if own == nil {
			t.Fatalf("the fine-tuned model has no %s/%s", v.Scope, v.Name)
		}
		val, err := own.Value()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tensors.MustCopyFlatData[float32](val), tensors.MustCopyFlatData[float32](v.Value); !slices.Equal(got, want) {
			t.Errorf("%s/%s after --init: %v…, want the init run's %v…", v.Scope, v.Name, got[:3], want[:3])
		}
		copied++
	}
	if copied != 2 {
		t.Errorf("%d codebook variables compared, want 2 (codebook, cluster_size)", copied)
	}
}
