package eval_test

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
)

// testImages are the images the trained-model tests use.
type testImages struct {
	source    string
	train     []float32 // in-distribution training images
	test      []float32 // in-distribution test images
	ood       []float32 // out-of-distribution test images
	oodSource string
}

// loadTestImages returns MNIST digits 0–4 (train and test) and inverted
// digits 5–9 as the out-of-distribution set, or, when the MNIST files are
// missing outside CI, synthetic squares and their inversions.
func loadTestImages(t *testing.T, nTrain, nTest int) testImages {
	set, err := data.Load(data.MNIST, data.Options{})
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("loading MNIST: %v", err)
		}
		t.Logf("MNIST unavailable (%v): using synthetic squares", err)
		return testImages{source: "synthetic squares", train: testenv.Blobs(nTrain, 1),
			test: testenv.Blobs(nTest, 2), ood: invert(testenv.Blobs(nTest, 3)),
			oodSource: "inverted squares"}
	}
	low := func(l int) bool { return l <= 4 }
	high := func(l int) bool { return l >= 5 }
	return testImages{source: "MNIST digits 0-4",
		train: pick(set.Train, low, nTrain), test: pick(set.Test, low, nTest),
		ood: invert(pick(set.Test, high, nTest)), oodSource: "MNIST digits 5-9 inverted"}
}

// pick returns the first n images of s whose label keep accepts.
func pick(s *data.Split, keep func(int) bool, n int) []float32 {
	var out []float32
	for i := 0; i < s.N && len(out) < n*s.ImageSize(); i++ {
		if keep(s.Labels[i]) {
			out = append(out, s.Image(i)...)
		}
	}
	return out
}

func invert(images []float32) []float32 {
	out := make([]float32, len(images))
	for i, v := range images {
		out[i] = 1 - v
	}
	return out
}

// TestTrainedModel trains a tiny VAE once and checks the likelihood bounds,
// anomaly scores and encoder batching on it.
func TestTrainedModel(t *testing.T) {
	b := testenv.XLA(t)
	imgs := loadTestImages(t, 2000, 400)
	cfg := testrun.TinyConfig()
	start := time.Now()
	ctx, loss := testrun.Train(t, b, cfg, imgs.train, 200, 64, 1)
	t.Logf("trained on %s: 200 steps in %v, last batch neg ELBO %.2f", imgs.source, time.Since(start).Round(time.Millisecond), loss)
	m, err := eval.NewModel(b, ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Finalize()

	t.Run("IWBoundTightensWithK", func(t *testing.T) { testIWBound(t, m, imgs.test) })
	t.Run("AUROCPlanted", func(t *testing.T) { testAUROCPlanted(t, m, imgs) })
	t.Run("AUROCSameDistribution", func(t *testing.T) { testAUROCSame(t, m, imgs.test) })
	t.Run("EncodeBatchingAndPadding", func(t *testing.T) { testEncodeBatching(t, m, imgs.test) })
	t.Run("SeedsRepeat", func(t *testing.T) { testSeeds(t, m, imgs.test[:50*m.ImageSize()]) })
	t.Run("Evaluate", func(t *testing.T) { testEvaluate(t, m, imgs.test[:100*m.ImageSize()]) })
	t.Run("CodesTemperature", func(t *testing.T) { testCodesTemperature(t, m, imgs.test[:100*m.ImageSize()]) })
}

// testCodesTemperature checks that posterior draws at temperature 0 are the
// means, that a draw at temperature t lies t of the way from the mean to
// the draw at 1 with the same seed, and that a negative temperature is
// refused.
func testCodesTemperature(t *testing.T, m *eval.Model, images []float32) {
	means, _, err := m.Encode(images, nil)
	if err != nil {
		t.Fatal(err)
	}
	draw := func(temp float64) []float32 {
		t.Helper()
		z, err := m.Codes(images, nil, 2, 9, temp)
		if err != nil {
			t.Fatalf("temperature %g: %v", temp, err)
		}
		return z
	}
	zero, half, one := draw(0), draw(0.5), draw(1)
	spread := 0.0
	for i := range one {
		mu := float64(means[i%len(means)])
		if d := math.Abs(float64(zero[i]) - mu); !(d <= 1e-4) {
			t.Fatalf("temperature 0: value %d is %v, the mean %v", i, zero[i], mu)
		}
		if d := math.Abs(float64(half[i]) - (mu + 0.5*(float64(one[i])-mu))); !(d <= 1e-4) {
			t.Fatalf("temperature 0.5: value %d is %v, halfway from the mean %v to %v", i, half[i], mu, one[i])
		}
		spread += math.Abs(float64(one[i]) - mu)
	}
	if spread/float64(len(one)) < 1e-3 {
		t.Fatalf("temperature 1: the draws are the means (mean |z − μ| %g)", spread/float64(len(one)))
	}
	// The draws of one image, encoded once, take noise of their own.
	if half := len(one) / 2; slices.Equal(one[:half], one[half:]) {
		t.Fatal("temperature 1: the second draw repeats the first")
	}
	// In batches that do not divide the images (the last one padded),
	// every draw of every image is still its own mean at temperature 0.
	defer func(b int) { m.Batch = b }(m.Batch)
	m.Batch = 48
	z, err := m.Codes(images, nil, 3, 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range z {
		if mu := float64(means[i%len(means)]); !(math.Abs(float64(z[i])-mu) <= 1e-4) {
			t.Fatalf("batches of 48, 3 draws: value %d is %v, the mean %v", i, z[i], mu)
		}
	}
	if _, err := m.Codes(images, nil, 1, 9, -0.5); err == nil || !strings.Contains(err.Error(), "temperature -0.5") {
		t.Fatalf("temperature -0.5: err %v, want an error naming it", err)
	}
}

// meanSE returns the mean of xs and its standard error.
func meanSE(xs []float64) (mean, se float64) {
	for _, x := range xs {
		mean += x / float64(len(xs))
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1) / float64(len(xs)))
}

// diff returns a[i] − b[i].
func diff(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func neg(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = -x
	}
	return out
}

// testIWBound compares, image by image, the negative ELBO with the
// importance-weighted NLL at K = 1, 10 and 100. Differences are judged
// against their standard errors: K = 1 is the ELBO's own estimator, so it
// must agree with it within noise; K = 10 must be clearly lower; K = 100 no
// higher than K = 10 and below the ELBO.
func testIWBound(t *testing.T, m *eval.Model, images []float32) {
	recon, kl, err := m.ELBO(images, nil, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	negELBO := make([]float64, len(recon))
	for i := range recon {
		negELBO[i] = recon[i] + kl[i]
	}
	nll := map[int][]float64{}
	for _, k := range []int{1, 10, 100} {
		ll, err := m.LogLikelihood(images, nil, k, int64(20+k))
		if err != nil {
			t.Fatal(err)
		}
		nll[k] = neg(ll)
	}
	e, _ := meanSE(negELBO)
	n1, _ := meanSE(nll[1])
	n10, _ := meanSE(nll[10])
	n100, _ := meanSE(nll[100])
	t.Logf("%d images: neg ELBO %.3f, IW-NLL K=1 %.3f, K=10 %.3f, K=100 %.3f nats", len(recon), e, n1, n10, n100)

	d, se := meanSE(diff(nll[1], negELBO))
	d10, se10 := meanSE(diff(nll[10], nll[1]))
	d100, se100 := meanSE(diff(nll[100], nll[10]))
	t.Logf("paired differences: K=1 − ELBO %.3f ± %.3f, K=10 − K=1 %.3f ± %.3f, K=100 − K=10 %.3f ± %.3f",
		d, se, d10, se10, d100, se100)
	if !(math.Abs(d) <= 4*se) {
		t.Errorf("IW-NLL K=1 − neg ELBO = %.3f ± %.3f: should agree within noise", d, se)
	}
	d, se = meanSE(diff(nll[10], nll[1]))
	if !(d <= -3*se && d < 0) {
		t.Errorf("IW-NLL K=10 − K=1 = %.3f ± %.3f: K=10 should be clearly tighter", d, se)
	}
	d, se = meanSE(diff(nll[100], nll[10]))
	if !(d <= 3*se) {
		t.Errorf("IW-NLL K=100 − K=10 = %.3f ± %.3f: K=100 should be no looser", d, se)
	}
	for _, k := range []int{10, 100} {
		d, se = meanSE(diff(nll[k], negELBO))
		if !(d <= 3*se && d < 0) {
			t.Errorf("IW-NLL K=%d − neg ELBO = %.3f ± %.3f: the bound should be tighter than the ELBO", k, d, se)
		}
	}
}

// testAUROCPlanted scores in-distribution test images against the planted
// out-of-distribution set, which a working score separates easily.
func testAUROCPlanted(t *testing.T, m *eval.Model, imgs testImages) {
	in := scores(t, m, imgs.test, 1)
	out := scores(t, m, imgs.ood, 2)
	auc, err := eval.AUROC(in, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("AUROC of %s against %s: %.4f", imgs.source, imgs.oodSource, auc)
	if !(auc > 0.9) {
		t.Errorf("AUROC %.4f, want above 0.9 on a planted easy case", auc)
	}
}

// testAUROCSame scores two disjoint halves of the same test set (even and
// odd images): the AUROC must be 0.5 within four null standard errors.
func testAUROCSame(t *testing.T, m *eval.Model, images []float32) {
	size := m.ImageSize()
	var even, odd []float32
	for i := 0; i+1 < len(images)/size; i += 2 {
		even = append(even, images[i*size:(i+1)*size]...)
		odd = append(odd, images[(i+1)*size:(i+2)*size]...)
	}
	a := scores(t, m, even, 3)
	b := scores(t, m, odd, 4)
	auc, err := eval.AUROC(a, b)
	if err != nil {
		t.Fatal(err)
	}
	n1, n2 := float64(len(a)), float64(len(b))
	se := math.Sqrt((n1 + n2 + 1) / (12 * n1 * n2))
	t.Logf("AUROC of two halves of the same set (%d vs %d): %.4f (null SE %.4f)", len(a), len(b), auc, se)
	if !(math.Abs(auc-0.5) <= 4*se) {
		t.Errorf("AUROC %.4f on one distribution, want 0.5 ± %.3f", auc, 4*se)
	}
}

func scores(t *testing.T, m *eval.Model, images []float32, seed int64) []float64 {
	t.Helper()
	recon, kl, err := m.ELBO(images, nil, 1, seed)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(recon))
	for i := range out {
		out[i] = recon[i] + kl[i]
	}
	return out
}

// testEncodeBatching checks the posterior means do not depend on the batch
// size, whether or not the last batch is padded.
func testEncodeBatching(t *testing.T, m *eval.Model, images []float32) {
	defer func(b int) { m.Batch = b }(m.Batch)
	var ref []float32
	for _, batch := range []int{1000, 64, 7} {
		m.Batch = batch
		calls := 0
		m.Progress = func(phase string, done, total int) { calls++ }
		means, logVars, err := m.Encode(images, nil)
		m.Progress = nil
		if err != nil {
			t.Fatal(err)
		}
		n := len(images) / m.ImageSize()
		if want := 1 + (n+min(batch, n)-1)/min(batch, n); calls != want {
			t.Errorf("batch %d: %d progress calls for %d images, want %d", batch, calls, n, want)
		}
		if len(means) != n*m.Config.Latent || len(logVars) != len(means) {
			t.Fatalf("batch %d: %d means for %d images", batch, len(means), n)
		}
		if ref == nil {
			ref = means
			continue
		}
		for i := range ref {
			if !(math.Abs(float64(means[i]-ref[i])) <= 1e-4) {
				t.Fatalf("batch %d: mean %d = %v, with one batch %v", batch, i, means[i], ref[i])
			}
		}
	}
}

// testSeeds checks the same seed repeats the draws and another seed does not.
func testSeeds(t *testing.T, m *eval.Model, images []float32) {
	a, _, _ := m.ELBO(images, nil, 1, 5)
	b, _, _ := m.ELBO(images, nil, 1, 5)
	c, _, _ := m.ELBO(images, nil, 1, 6)
	same, differ := true, false
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same {
		t.Error("two ELBO runs with seed 5 differ")
	}
	if !differ {
		t.Error("ELBO runs with seeds 5 and 6 agree on every image: z is not sampled")
	}
}

// testEvaluate checks Evaluate's summary is consistent with its parts.
func testEvaluate(t *testing.T, m *eval.Model, images []float32) {
	r, err := eval.Evaluate(m, images, nil, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Images != 100 || r.Latent != m.Config.Latent || r.IWK != 10 || r.IWNLL == nil {
		t.Fatalf("Evaluate summary %+v: wrong counts", *r)
	}
	if !(math.Abs(r.NegELBO-(r.Recon+r.KL)) <= 1e-9) || !(r.KL > 0) || !(r.Recon > 0) {
		t.Errorf("Evaluate: neg ELBO %.3f, recon %.3f, KL %.3f", r.NegELBO, r.Recon, r.KL)
	}
	if r.ActiveUnits < 1 || r.ActiveUnits > r.Latent {
		t.Errorf("Evaluate: %d active units of %d", r.ActiveUnits, r.Latent)
	}
	r0, err := eval.Evaluate(m, images, nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r0.IWNLL != nil || r0.NegELBO != r.NegELBO {
		t.Errorf("Evaluate with K=0: IW-NLL %v (want none), neg ELBO %.3f (want %.3f as with K=10)", r0.IWNLL, r0.NegELBO, r.NegELBO)
	}
}

// TestFamilyTrainedModels trains a tiny resnet and a tiny 2-layer ladder
// and checks the likelihood bounds on each as on the conv model (K = 1 is
// the ELBO within noise, the IW-NLL does not rise with K and falls below
// the ELBO), and that Evaluate's per-layer KL and active units add up.
func TestFamilyTrainedModels(t *testing.T) {
	b := testenv.XLA(t)
	imgs := loadTestImages(t, 2000, 300)
	resnet, ladder := testrun.TinyConfig(), testrun.TinyConfig()
	resnet.Model, resnet.Blocks, resnet.Hidden = models.ResNet, 1, 32
	ladder.Model, ladder.Blocks, ladder.Groups, ladder.Hidden = models.Ladder, 1, 2, 32
	for name, cfg := range map[string]models.Config{"resnet": resnet, "ladder": ladder} {
		t.Run(name, func(t *testing.T) {
			ctx, loss := testrun.Train(t, b, cfg, imgs.train, 150, 64, 1)
			t.Logf("trained %s on %s: last batch neg ELBO %.2f", name, imgs.source, loss)
			m, err := eval.NewModel(b, ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Finalize()
			testIWBound(t, m, imgs.test)
			r, err := eval.Evaluate(m, imgs.test[:100*m.ImageSize()], nil, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			if g := cfg.Layers(); g > 1 && (len(r.KLLayers) != g || len(r.ActiveLayers) != g) {
				t.Fatalf("Evaluate of %d layers: KL per layer %v, active units per layer %v", g, r.KLLayers, r.ActiveLayers)
			}
			var kl float64
			active := 0
			for i := range r.KLLayers {
				kl += r.KLLayers[i]
				active += r.ActiveLayers[i]
			}
			if len(r.KLLayers) > 0 && (math.Abs(kl-r.KL) > 1e-6*(1+r.KL) || active != r.ActiveUnits) {
				t.Errorf("per-layer KL %v sums to %v (KL %v); active units %v sum to %d (all %d)",
					r.KLLayers, kl, r.KL, r.ActiveLayers, active, r.ActiveUnits)
			}
		})
	}
}
