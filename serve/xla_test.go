package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
)

// xlaRun is a randomly initialised model of cfg on XLA CPU with n random
// test images, its decoder compiled for batch codes.
func xlaRun(tb testing.TB, cfg models.Config, n, batch int) (Run, *generate.Decoder, *eval.Model) {
	tb.Helper()
	b := testenv.XLA(tb)
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	create := context.MustNewExec(b, ctx, func(ctx *context.Context, x *Node) *Node {
		mean, _ := models.Encode(ctx, cfg, x, nil)
		return models.Decode(ctx, cfg, mean, nil)
	})
	create.MustExec(tensors.FromShape(cfg.ImageShape(1)))
	dec, err := generate.NewDecoder(b, ctx, cfg, batch)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(dec.Finalize)
	model, err := eval.NewModel(b, ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(model.Finalize)
	test := &data.Split{N: n, Height: cfg.Height, Width: cfg.Width, Channels: cfg.Channels, Labels: make([]int, n)}
	rng := rand.New(rand.NewPCG(1, 2))
	test.Pixels = make([]uint8, n*test.ImageSize())
	for i := range test.Pixels {
		test.Pixels[i] = uint8(rng.IntN(256))
	}
	for i := range test.Labels {
		test.Labels[i] = i % 10
	}
	return Run{Name: "random", Config: cfg, Decoder: dec, Model: model, Test: test}, dec, model
}

// TestRealGraphs serves real (random) grey and RGB models: the API's
// answers equal the graphs' own, an RGB PNG upload is read as its pixels,
// and decodes batched with others equal decodes alone.
func TestRealGraphs(t *testing.T) {
	for _, c := range []struct{ channels, latent int }{{1, 3}, {3, 2}} {
		t.Run(fmt.Sprintf("%d channels, %d-D latent", c.channels, c.latent), func(t *testing.T) {
			cfg := models.Config{Height: 8, Width: 8, Channels: c.channels, Latent: c.latent, Widths: []int{4},
				Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
			testRealGraphs(t, cfg)
		})
	}
}

func testRealGraphs(t *testing.T, cfg models.Config) {
	run, dec, model := xlaRun(t, cfg, 20, 4)
	s, err := New(run, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()

	img := run.Test.Image(3)
	var enc encodeResponse
	decodeBody(t, do(h, "POST", "/api/encode", "", jsonOf(t, map[string]any{"pixels": img})), &enc)
	mean, _, err := model.Encode(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	recon, err := dec.Decode(mean, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(enc.Mean, mean) || !slices.Equal(enc.Reconstruction, pixelBytes(recon)) || enc.Neighbors[0].Index != 3 {
		t.Errorf("encode: mean %v, want %v; reconstruction equal: %v; nearest %d, want 3",
			enc.Mean, mean, slices.Equal(enc.Reconstruction, pixelBytes(recon)), enc.Neighbors[0].Index)
	}

	if cfg.Channels == 3 {
		var up encodeResponse
		decodeBody(t, do(h, "POST", "/api/encode", "image/png", rgbPNG(t, img, cfg.Width, cfg.Height)), &up)
		if up.Neighbors[0].Index != 3 {
			t.Errorf("RGB PNG of test image 3: nearest test image %d", up.Neighbors[0].Index)
		}
	}

	codes := generate.RandomLatents(24, cfg.Latent, 5, 1)
	alone, err := dec.Decode(codes, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			var got struct{ Image []int }
			rec := do(h, http.MethodPost, "/api/decode", "", jsonOf(t, map[string]any{"z": codes[cfg.Latent*i : cfg.Latent*(i+1)]}))
			if rec.Code != http.StatusOK {
				t.Errorf("decode %d: %d %s", i, rec.Code, rec.Body)
				return
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Errorf("decode %d: %v", i, err)
				return
			}
			size := run.Test.ImageSize()
			if want := pixelBytes(alone[size*i : size*(i+1)]); !slices.Equal(got.Image, want) {
				t.Errorf("code %d decoded with others differs from decoded alone", i)
			}
		})
	}
	wg.Wait()
}

// rgbPNG encodes RGB pixels in [0, 1] as a PNG.
func rgbPNG(t *testing.T, pixels []float32, w, h int) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		img.Pix[4*i+3] = 255
		for c := range 3 {
			img.Pix[4*i+c] = uint8(math.Round(float64(pixels[3*i+c]) * 255))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// scoreTolerance is how far apart, in nats, /api/info promises an image's
// scores are however it arrives.
const scoreTolerance = 0.001

// TestScoresDeterministic: an image scores the same however it arrives:
// test image i through /api/test/i, its pixels and its PNG through
// /api/encode, alone or after others.
func TestScoresDeterministic(t *testing.T) {
	cfg := models.Config{Height: 8, Width: 8, Channels: 3, Latent: 2, Widths: []int{4},
		Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
	run, _, _ := xlaRun(t, cfg, 2500, 4) // several batches of the test split's scoring
	s, err := New(run, Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	for _, i := range []int{0, 3, 1001, 2499} {
		var test struct{ Score float64 }
		decodeBody(t, do(h, "GET", fmt.Sprintf("/api/test/%d", i), "", ""), &test)
		img := run.Test.Image(i)
		var byPixels, byPNG encodeResponse
		decodeBody(t, do(h, "POST", "/api/encode", "", jsonOf(t, map[string]any{"pixels": img})), &byPixels)
		decodeBody(t, do(h, "POST", "/api/encode", "image/png", rgbPNG(t, img, cfg.Width, cfg.Height)), &byPNG)
		// The test split is scored in batches, an upload alone: two compiled
		// programs, whose last bits differ on some CPUs (AVX2 without
		// AVX-512). The page promises the score to 0.001 nats.
		if !(math.Abs(byPixels.Score-test.Score) <= scoreTolerance) || !(math.Abs(byPNG.Score-test.Score) <= scoreTolerance) {
			t.Errorf("test image %d scores %v through /api/test, %v as pixels, %v as a PNG; want one score to %g nats",
				i, test.Score, byPixels.Score, byPNG.Score, scoreTolerance)
		}
	}
	var info struct{ Scores string }
	decodeBody(t, do(h, "GET", "/api/info", "", ""), &info)
	if !strings.Contains(info.Scores, "the same draws for every image") || !strings.Contains(info.Scores, fmt.Sprintf("to %g nats", scoreTolerance)) {
		t.Errorf("/api/info scores %q: want the page told how images are scored", info.Scores)
	}
}

// TestTSNEMap: Options.Map "tsne" places the test images by t-SNE, the
// same for a seed, says so in /api/info (with no axes to go back by), and
// places an encoded test image where that image is.
func TestTSNEMap(t *testing.T) {
	cfg := models.Config{Height: 8, Width: 8, Channels: 1, Latent: 3, Widths: []int{4},
		Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
	run, _, _ := xlaRun(t, cfg, 40, 4)
	points := func(opt Options) (pointsResponse, mapInfo, encodeResponse) {
		s, err := New(run, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		h := s.Handler()
		var p pointsResponse
		var info struct{ Map mapInfo }
		var enc encodeResponse
		decodeBody(t, do(h, "GET", "/api/points", "", ""), &p)
		decodeBody(t, do(h, "GET", "/api/info", "", ""), &info)
		decodeBody(t, do(h, "POST", "/api/encode", "", jsonOf(t, map[string]any{"pixels": run.Test.Image(5)})), &enc)
		return p, info.Map, enc
	}
	pca, pcaInfo, _ := points(Options{Seed: 2})
	for _, method := range []string{MapTSNE, MapUMAP} {
		a, aInfo, enc := points(Options{Seed: 2, Map: method})
		b, _, _ := points(Options{Seed: 2, Map: method})
		if !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
			t.Errorf("two %s maps with one seed differ", method)
		}
		if slices.Equal(a.X, pca.X) || aInfo.Kind != method || aInfo.Axes != nil || pcaInfo.Kind != "linear" {
			t.Errorf("%s map: kind %q (PCA's %q), axes %v; the same points as PCA's: %v", method, aInfo.Kind, pcaInfo.Kind, aInfo.Axes, slices.Equal(a.X, pca.X))
		}
		if enc.Neighbors[0].Index != 5 || float32(enc.Map[0]) != a.X[5] || float32(enc.Map[1]) != a.Y[5] {
			t.Errorf("test image 5 encoded is placed at %v on the %s map, its point is (%v, %v)", enc.Map, method, a.X[5], a.Y[5])
		}
	}
}
