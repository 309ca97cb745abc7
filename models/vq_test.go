package models

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// tinyVQ is a small vq model for 28×28 grey images: a 7×7 grid of 4-d
// vectors quantised by quantizer, with its defaults filled in.
func tinyVQ(quantizer string) Config {
	c := DefaultConfig()
	c.Model, c.Widths, c.Hidden, c.Latent, c.Quantizer, c.Codebook = VQModel, []int{8, 16}, 0, 4, quantizer, 16
	c.Blocks = 1
	if quantizer == QuantizerFSQ {
		c.Codebook, c.Levels, c.Latent = 0, []int{3, 2, 3}, 3
	}
	return WithFamilyDefaults(c)
}

// TestVQConfig: the vq model's defaults (the grid kind, EMA, restarts,
// FSQ's latent from its levels), its kind (a 7×7 int32 grid of K codes,
// uniform prior), and the refusals of fields it cannot use or another
// model cannot.
func TestVQConfig(t *testing.T) {
	c := tinyVQ(QuantizerVQ)
	if err := c.Validate(); err != nil {
		t.Fatalf("tiny vq: %v", err)
	}
	k := c.Kind()
	if k.Name() != GridLatent || Continuous(k) || !k.Code().Equal(shapes.Make(dtypes.Int32, 7, 7)) || c.Codes() != 16 ||
		c.CodebookUpdate != CodebookEMA || vqOf(c).DeadThreshold != 1 {
		t.Errorf("tiny vq: kind %q, code %s, %d codes, update %q, threshold %v; want the grid kind of [7 7] int32, 16 codes, EMA, restarts",
			k.Name(), k.Code(), c.Codes(), c.CodebookUpdate, vqOf(c).DeadThreshold)
	}
	prior := k.Prior(200, 3, 1)
	seen := map[float32]bool{}
	for _, v := range prior {
		if v < 0 || v >= 16 || v != float32(int(v)) {
			t.Fatalf("the prior drew %v, not an index of 16 codes", v)
		}
		seen[v] = true
	}
	if len(prior) != 200*49 || len(seen) != 16 {
		t.Errorf("the prior drew %d values over %d codes; want %d over all 16", len(prior), len(seen), 200*49)
	}
	f := tinyVQ(QuantizerFSQ)
	if err := f.Validate(); err != nil || f.Codes() != 18 || WithFamilyDefaults(Config{Model: VQModel, Quantizer: QuantizerFSQ}).Latent != 4 {
		t.Errorf("tiny fsq: %v, %d codes; want valid, 18 codes, and the default levels' 4 channels", err, f.Codes())
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown quantizer", func(c *Config) { c.Quantizer = "rvq" }, `quantizer "rvq": want "vq" or "fsq"`},
		{"gradient update", func(c *Config) { c.CodebookUpdate = CodebookGradient }, ""},
		{"unknown update", func(c *Config) { c.CodebookUpdate = "kmeans" }, `codebook update "kmeans"`},
		{"one code", func(c *Config) { c.Codebook = -1 }, "both must be at least 1"},
		{"dense layer", func(c *Config) { c.Hidden = 32 }, "hidden units 32: the \"vq\" model has no dense layer"},
		{"levels on vq", func(c *Config) { c.Levels = []int{3} }, "only the \"fsq\" quantizer has levels"},
		{"fsq with a codebook", func(c *Config) { *c = tinyVQ(QuantizerFSQ); c.Codebook = 8 }, "has no codebook"},
		{"fsq latent", func(c *Config) { *c = tinyVQ(QuantizerFSQ); c.Latent = 5 }, "latent size 5: an \"fsq\" model has one channel per level, 3"},
		{"fsq level 1", func(c *Config) { *c = tinyVQ(QuantizerFSQ); c.Levels = []int{1, 2, 3} }, "each must be at least 2"},
		{"a codebook on conv", func(c *Config) { *c = DefaultConfig(); c.Codebook = 8 }, "only the \"vq\" model quantizes its code"},
		{"the grid on conv", func(c *Config) { *c = DefaultConfig(); c.LatentKind = GridLatent }, "only the \"vq\" model quantizes its code"},
		{"the Gaussian on vq", func(c *Config) { c.LatentKind = GaussianLatent }, `latent kind "gaussian": the "vq" model's code is a "grid"`},
	} {
		c := tinyVQ(QuantizerVQ)
		tc.edit(&c)
		err := c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate gives %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestVQModelDecodesItsCodes: for both quantisers, a pass's codes are
// Encode's, decoding them (Decode, from indices) gives the pass's output
// (decoded from the straight-through vectors) for every draw, the KL is
// cells·log K and the log-weights are −Recon − cells·log K; only VQ has a
// loss term.
func TestVQModelDecodesItsCodes(t *testing.T) {
	b := testenv.XLA(t)
	images := make([]float32, 3*28*28)
	for i := range images {
		images[i] = float32((i*7919)%256) / 255
	}
	for _, quantizer := range []string{QuantizerVQ, QuantizerFSQ} {
		cfg := tinyVQ(quantizer)
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(1); err != nil {
			t.Fatal(err)
		}
		if err := CreateVariables(b, ctx, cfg); err != nil {
			t.Fatal(err)
		}
		outs, err := context.ExecOnceN(b, ctx.Reuse(), func(ctx *context.Context, x *Node) []*Node {
			p := Sample(ctx, cfg, x, nil, 2, StateNoise(Const(x.Graph(), []uint64{1, 2, 3})))
			codes, logVar := Encode(ctx, cfg, x, nil)
			again := Decode(ctx, cfg, codes, nil)
			tm := p.Terms()
			loss := ScalarZero(x.Graph(), dtypes.Float32)
			if tm.Quantizer != nil {
				loss = ReduceAllSum(tm.Quantizer)
			}
			return []*Node{Reshape(p.Groups[0].Z, 3, 2, -1), codes, logVar, Reshape(p.Out, 3, 2, -1), again, tm.KL, p.LogWeights(nil), p.Recon, loss}
		}, tensors.FromFlatDataAndDimensions(images, 3, 28, 28, 1))
		if err != nil {
			t.Fatal(err)
		}
		z, codes, logVar, out, again := f64s(outs[0]), f64s(outs[1]), f64s(outs[2]), f64s(outs[3]), f64s(outs[4])
		kl, logW, recon, loss := f64s(outs[5]), f64s(outs[6]), f64s(outs[7]), f64s(outs[8])
		cells, size := 49, 28*28
		logK := 49 * math.Log(float64(cfg.Codes()))
		for i := range 3 {
			for d := range 2 {
				for c := range cells {
					if z[(i*2+d)*cells+c] != codes[i*cells+c] || logVar[i*cells+c] != 0 {
						t.Fatalf("%s: image %d draw %d cell %d: pass code %v, Encode's %v (log-variance %v)", quantizer, i, d, c,
							z[(i*2+d)*cells+c], codes[i*cells+c], logVar[i*cells+c])
					}
				}
				for p := range size {
					if !near(out[(i*2+d)*size+p], again[i*size+p], 1e-4) {
						t.Fatalf("%s: image %d draw %d pixel %d: the pass decodes %v, Decode of its code %v", quantizer, i, d, p,
							out[(i*2+d)*size+p], again[i*size+p])
					}
				}
				if w := logW[i*2+d]; !near(w, -recon[i*2+d]-logK, 1e-5) {
					t.Errorf("%s: image %d draw %d: log-weight %v, want −recon − cells·log K = %v", quantizer, i, d, w, -recon[i*2+d]-logK)
				}
			}
			if !near(kl[i], logK, 1e-5) {
				t.Errorf("%s: image %d: KL %v, want cells·log K = %v", quantizer, i, kl[i], logK)
			}
		}
		if (quantizer == QuantizerVQ) != (loss[0] > 0) {
			t.Errorf("%s: quantiser loss %v; want positive for VQ, none for FSQ", quantizer, loss[0])
		}
	}
}
