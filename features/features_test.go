package features

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/internal/testenv"
)

// tinyRecipe trains in a moment, for tests.
var tinyRecipe = Recipe{Architecture: Architecture, Seed: 3, Steps: 4, Batch: 8, LR: 1e-3}

// stripes returns a labelled set of 8×8 grey images: class 0 horizontal
// stripes, class 1 vertical ones, with noise.
func stripes(train, test int) *data.Set {
	split := func(n int, seed uint64) *data.Split {
		rng := rand.New(rand.NewPCG(seed, 2))
		s := &data.Split{N: n, Height: 8, Width: 8, Channels: 1, Pixels: make([]uint8, n*64), Labels: make([]int, n)}
		for i := range n {
			c := i % 2
			s.Labels[i] = c
			for y := range 8 {
				for x := range 8 {
					v := uint8(rng.IntN(60))
					if (c == 0 && y%2 == 0) || (c == 1 && x%2 == 0) {
						v += 190
					}
					s.Pixels[i*64+y*8+x] = v
				}
			}
		}
		return s
	}
	return &data.Set{Name: "stripes", Train: split(train, 1), Test: split(test, 2), Classes: []string{"across", "down"}}
}

// TestTrainDeterministic: the same set and recipe give the same weights,
// and a saved network loads back to the same features and classes.
func TestTrainDeterministic(t *testing.T) {
	b := testenv.XLA(t)
	set := stripes(40, 10)
	var hashes []string
	var nets []*Net
	for range 2 {
		n, err := Train(b, set, tinyRecipe, nil)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := n.tensors()
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, weightsHash(ts))
		nets = append(nets, n)
	}
	if hashes[0] != hashes[1] {
		t.Errorf("two trainings by one recipe differ: %s, %s", hashes[0], hashes[1])
	}
	other := tinyRecipe
	other.Seed++
	n3, err := Train(b, set, other, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := n3.tensors()
	if weightsHash(ts) == hashes[0] {
		t.Error("another seed gave the same weights")
	}

	path := filepath.Join(t.TempDir(), "net.safetensors")
	if err := nets[0].Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Recipe != tinyRecipe || !slices.Equal(loaded.Classes, set.Classes) || loaded.Accuracy != nets[0].Accuracy ||
		loaded.DataHash != DataHash(set) || loaded.Height != 8 || loaded.Channels != 1 {
		t.Errorf("loaded %+v, saved %+v", loaded, nets[0])
	}
	want, wantCls := extract(t, b, nets[0], set.Test.Images())
	got, gotCls := extract(t, b, loaded, set.Test.Images())
	if !slices.Equal(got, want) || !slices.Equal(gotCls, wantCls) {
		t.Error("the loaded network's features differ from the trained one's")
	}
	if len(got) != set.Test.N*Dim {
		t.Errorf("%d features for %d images, want %d each", len(got), set.Test.N, Dim)
	}
}

// TestTrainStopsOnNaN: a learning rate far too large makes the loss NaN
// after the first step; training stops there with an error naming the set,
// the step and the learning rate, and makes no network.
func TestTrainStopsOnNaN(t *testing.T) {
	b := testenv.XLA(t)
	for _, lr := range []float64{1e10, math.NaN()} {
		r := tinyRecipe
		r.LR, r.Steps = lr, 6
		done := 0
		n, err := Train(b, stripes(40, 10), r, func(d, _ int) { done = d })
		want := fmt.Sprintf("feature network for stripes, training step 1 of 6: the loss is NaN (learning rate %g,", lr)
		if err == nil || !strings.Contains(err.Error(), want) || n != nil {
			t.Errorf("learning rate %g: network %v, error %v; want none and an error containing %q", lr, n, err, want)
		}
		if done != 1 {
			t.Errorf("learning rate %g: %d steps reported done, want 1 (the stop at the first NaN loss)", lr, done)
		}
	}
}

// extract runs n over images.
func extract(t *testing.T, b backends.Backend, n *Net, images []float32) ([]float32, []int) {
	t.Helper()
	e, err := n.NewExtractor(b)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	f, c, err := e.Extract(images, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

// TestDamagedFile: a file with a flipped byte, cut short or not a feature
// network is an error naming it.
func TestDamagedFile(t *testing.T) {
	b := testenv.XLA(t)
	n, err := Train(b, stripes(16, 4), tinyRecipe, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := n.Save(good); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(raw)
	flipped[len(flipped)-100] ^= 0x40
	for name, content := range map[string][]byte{
		"flipped.safetensors": flipped,
		"short.safetensors":   raw[:len(raw)-7],
		"header.safetensors":  append([]byte{}, raw[:40]...),
		"empty.safetensors":   nil,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Load error %v, want one naming the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

// TestForSetCache: a labelled set's network is trained once, cached under
// a name of the set's content and the recipe, then read back; a damaged
// cache file is an error naming it; an unlabelled set is refused.
func TestForSetCache(t *testing.T) {
	b := testenv.XLA(t)
	dir := filepath.Join(t.TempDir(), "features")
	set := stripes(24, 6)
	steps := 0
	count := func(done, total int) { steps++ }
	var log bytes.Buffer
	first, err := ForSet(b, set, tinyRecipe, dir, &log, count)
	if err != nil {
		t.Fatal(err)
	}
	path := CachePath(dir, DataHash(set), tinyRecipe)
	if steps != tinyRecipe.Steps || !strings.Contains(log.String(), "test accuracy") {
		t.Errorf("first call: %d steps, log %q; want training of %d steps with its accuracy said", steps, log.String(), tinyRecipe.Steps)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	steps = 0
	second, err := ForSet(b, set, tinyRecipe, dir, io.Discard, count)
	if err != nil || steps != 0 || second.Accuracy != first.Accuracy {
		t.Errorf("second call: %v, %d steps (want 0: from the cache)", err, steps)
	}
	changed := stripes(24, 6)
	changed.Train.Pixels[5]++
	if CachePath(dir, DataHash(changed), tinyRecipe) == path {
		t.Error("a changed set has the same cache file")
	}
	other := tinyRecipe
	other.Steps++
	if CachePath(dir, DataHash(set), other) == path {
		t.Error("another recipe has the same cache file")
	}
	raw, _ := os.ReadFile(path)
	raw[len(raw)-3] ^= 1
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ForSet(b, set, tinyRecipe, dir, io.Discard, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("damaged cache file: %v, want an error naming %s", err, path)
	}
	unlabelled := stripes(24, 6)
	unlabelled.Classes = []string{""}
	if _, err := ForSet(b, unlabelled, tinyRecipe, dir, io.Discard, nil); !errors.Is(err, ErrUnlabelled) {
		t.Errorf("unlabelled set: %v, want ErrUnlabelled", err)
	}
}

// TestShippedMNIST checks the shipped network: its file's SHA-256, its
// recipe, and its recorded test accuracy (at least 99%), measured again
// on MNIST's test split (to two images: see below); and that a damaged
// copy is refused.
func TestShippedMNIST(t *testing.T) {
	sum := sha256.Sum256(mnistFile)
	if got := hex.EncodeToString(sum[:]); got != MNISTSHA256 {
		t.Fatalf("mnist.safetensors has SHA-256 %s, want %s", got, MNISTSHA256)
	}
	n, err := MNIST()
	if err != nil {
		t.Fatal(err)
	}
	if n.Recipe != DefaultRecipe {
		t.Errorf("shipped recipe %+v, DefaultRecipe %+v: rebuild it with `make features`", n.Recipe, DefaultRecipe)
	}
	if !(n.Accuracy >= 0.99) {
		t.Errorf("recorded test accuracy %.4f, want at least 0.99", n.Accuracy)
	}
	damaged := bytes.Clone(mnistFile)
	damaged[len(damaged)/2] ^= 1
	if _, err := parseShipped(damaged, MNISTSHA256); err == nil || !strings.Contains(err.Error(), "mnist.safetensors") {
		t.Errorf("a damaged shipped file: %v, want an error naming it", err)
	}
	set := testenv.MNIST(t)
	if DataHash(set) != n.DataHash {
		t.Errorf("MNIST's content hash %s, the shipped network's %s", DataHash(set), n.DataHash)
	}
	acc, err := n.TestAccuracy(testenv.XLA(t), set.Test)
	if err != nil {
		t.Fatal(err)
	}
	// The file records the accuracy measured on the machine that built it.
	// Another CPU gets other kernels from XLA (AVX2 against AVX-512), whose
	// last bits may flip the class of an image whose top two logits all but
	// tie: allow two such images. A real fault (a shifted label, a wrong
	// weight) moves hundreds.
	if d := math.Abs(acc-n.Accuracy) * float64(set.Test.N); !(d <= 2.5) {
		t.Errorf("test accuracy %.4f, the file records %.4f: %.0f of %d test images classed otherwise, want at most 2",
			acc, n.Accuracy, d, set.Test.N)
	}
}

// TestScheduleKeepsRates: the shared schedule gives DefaultRecipe's steps
// the float32 rates features computed before it shared it, as
// LR·½(1 + cos(π·s/Steps)), so a rebuilt network keeps MNISTSHA256.
func TestScheduleKeepsRates(t *testing.T) {
	for _, r := range []Recipe{DefaultRecipe, tinyRecipe} {
		for s := range r.Steps {
			want := float32(r.LR * 0.5 * (1 + math.Cos(math.Pi*float64(s)/float64(r.Steps))))
			if got := float32(r.Schedule().At(int64(s))); got != want {
				t.Fatalf("recipe %+v, step %d: rate %v, want %v", r, s, got, want)
			}
		}
	}
}
