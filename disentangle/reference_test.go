package disentangle

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/internal/testenv"
)

// referenceSampler mixes 3 factors into 5 dimensions: three of them
// Gaussian mixes, one collapsed (noise only, standard deviation 0.02) and
// one carrying factor 0 at standard deviation ~0.1, which the library's
// threshold on the standard deviation (0.05) keeps and a threshold on the
// variance would prune.
func referenceSampler() synth {
	rng := rand.New(rand.NewPCG(3, 4))
	mix := mat.NewDense(3, 5, nil)
	for f := range 3 {
		for j := range 3 {
			mix.Set(f, j, rng.NormFloat64())
		}
	}
	mix.Set(0, 4, 0.25)
	return synth{sizes: []int{3, 5, 7}, mix: mix, noise: 0.02}
}

// fixedBatches draws count batches of batch images, each with a uniformly
// drawn factor fixed, as FactorVAE does.
func fixedBatches(t *testing.T, rng *rand.Rand, s Sampler, batch, count int) []Batch {
	t.Helper()
	sizes := s.Sizes()
	out := make([]Batch, count)
	for b := range out {
		k := rng.IntN(len(sizes))
		fs := SampleFactors(rng, sizes, batch)
		for i := range batch {
			fs.Values[i*len(sizes)+k] = fs.At(0, k)
		}
		codes, err := s.Encode(rng, fs)
		if err != nil {
			t.Fatal(err)
		}
		out[b] = Batch{Factor: k, Codes: codes}
	}
	return out
}

// TestAgainstNumpy compares MIG (its MI matrix, entropies and score) and
// the FactorVAE score (its active dimensions and accuracies) on fixed codes
// with testdata/reference.py, an independent numpy implementation; it is
// skipped without python and numpy ($LATENT_PYTHON), failed with CI=true.
func TestAgainstNumpy(t *testing.T) {
	python := testenv.PythonNumpy(t)
	s := referenceSampler()
	rng := rand.New(rand.NewPCG(7, 8))
	set, err := Draw(rng, s, 3000)
	if err != nil {
		t.Fatal(err)
	}
	global, err := Draw(rng, s, 2000)
	if err != nil {
		t.Fatal(err)
	}
	train, eval := fixedBatches(t, rng, s, 32, 300), fixedBatches(t, rng, s, 32, 150)
	mig, err := MIG(set)
	if err != nil {
		t.Fatal(err)
	}
	fv, err := FactorVAEScore(global.Codes, train, eval, 3, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	ref := runReference(t, python, set, global.Codes, train, eval)
	d, F := mig.MI.Dims()
	for j := range d {
		for f := range F {
			if e := math.Abs(mig.MI.At(j, f) - ref.MI[j][f]); !(e <= 1e-12) {
				t.Errorf("MI[%d][%d] = %.15f, numpy %.15f", j, f, mig.MI.At(j, f), ref.MI[j][f])
			}
		}
	}
	for f, h := range mig.Entropy {
		if e := math.Abs(h - ref.Entropy[f]); !(e <= 1e-12) {
			t.Errorf("entropy[%d] = %.15f, numpy %.15f", f, h, ref.Entropy[f])
		}
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"MIG", mig.Score, ref.MIG}, {"FactorVAE train", fv.TrainAccuracy, ref.FVTrain}, {"FactorVAE eval", fv.EvalAccuracy, ref.FVEval}} {
		if e := math.Abs(c.got - c.want); !(e <= 1e-12) {
			t.Errorf("%s = %.15f, numpy %.15f", c.name, c.got, c.want)
		}
	}
	if !slices.Equal(fv.Active, ref.Active) || len(fv.Active) != 4 {
		t.Errorf("active dimensions %v, numpy %v, want 4 of 5", fv.Active, ref.Active)
	}
	t.Logf("MIG %.4f, FactorVAE %.4f / %.4f, active %v", mig.Score, fv.TrainAccuracy, fv.EvalAccuracy, fv.Active)
}

// reference is what testdata/reference.py prints.
type reference struct {
	MI      [][]float64 `json:"mi"`
	Entropy []float64   `json:"entropy"`
	MIG     float64     `json:"mig"`
	FVTrain float64     `json:"fv_train"`
	FVEval  float64     `json:"fv_eval"`
	Active  []int       `json:"active"`
}

// runReference writes the codes and batches to a temporary folder and runs
// testdata/reference.py on it.
func runReference(t *testing.T, python string, set Set, global *mat.Dense, train, eval []Batch) reference {
	t.Helper()
	dir := t.TempDir()
	n, d := set.Codes.Dims()
	g, _ := global.Dims()
	write(t, filepath.Join(dir, "codes.f64"), set.Codes.RawMatrix().Data)
	write(t, filepath.Join(dir, "factors.i64"), toInt64(set.Factors.Values))
	write(t, filepath.Join(dir, "global.f64"), global.RawMatrix().Data)
	for name, bs := range map[string][]Batch{"train": train, "eval": eval} {
		var codes []float64
		var ks []int64
		for _, b := range bs {
			codes = append(codes, b.Codes.RawMatrix().Data...)
			ks = append(ks, int64(b.Factor))
		}
		write(t, filepath.Join(dir, name+".f64"), codes)
		write(t, filepath.Join(dir, name+"_k.i64"), ks)
	}
	batch, _ := train[0].Codes.Dims()
	meta, err := json.Marshal(map[string]any{"n": n, "d": d, "f": set.Factors.NumFactors(), "bins": Bins,
		"global": g, "train": len(train), "eval": len(eval), "batch": batch, "threshold": 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	var ref reference
	testenv.PythonJSON(t, &ref, python, nil, "testdata/reference.py", dir)
	if len(ref.MI) != d || len(ref.Entropy) != set.Factors.NumFactors() {
		t.Fatalf("reference.py printed %+v: wrong shapes", ref)
	}
	return ref
}

func toInt64(x []int) []int64 {
	out := make([]int64, len(x))
	for i, v := range x {
		out[i] = int64(v)
	}
	return out
}

// write stores x little-endian at path.
func write[T float64 | int64](t *testing.T, path string, x []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := binary.Write(f, binary.LittleEndian, x); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
