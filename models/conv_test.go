package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/internal/testenv"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // substring of the error; "" for none
	}{
		{"default is valid", func(c *Config) {}, ""},
		{"even kernel", func(c *Config) { c.Kernel = 4 }, "must be odd"},
		{"size not divisible", func(c *Config) { c.Widths = []int{8, 8, 8} }, "not divisible by 2^3"},
		{"no widths", func(c *Config) { c.Widths = nil }, "at least one"},
		{"two channels", func(c *Config) { c.Channels = 2 }, "1 or 3 channels"},
		{"zero latent", func(c *Config) { c.Latent = 0 }, "latent size 0"},
		{"unknown upsampling", func(c *Config) { c.Upsample = "bicubic" }, `upsample "bicubic"`},
		{"depth-to-space needs widths divisible by 4", func(c *Config) { c.Upsample = UpsampleDepthToSpace; c.Widths = []int{6, 8} }, "divisible by 4"},
		{"unknown likelihood", func(c *Config) { c.Likelihood = "poisson" }, `likelihood "poisson"`},
		{"negative beta", func(c *Config) { c.Beta = -1 }, "beta"},
		{"empty model name is conv", func(c *Config) { c.Model = "" }, ""},
		{"unknown model", func(c *Config) { c.Model = "flow" }, `model "flow"`},
		{"conv has no blocks", func(c *Config) { c.Blocks = 2 }, "only the"},
		{"resnet needs blocks", func(c *Config) { c.Model = ResNet }, "at least one residual block"},
		{"resnet", func(c *Config) { c.Model, c.Blocks, c.Norm = ResNet, 2, NormLayer }, ""},
		{"unknown norm", func(c *Config) { c.Model, c.Blocks, c.Norm = ResNet, 1, "batch" }, `norm "batch"`},
		{"ladder needs two layers", func(c *Config) { c.Model, c.Blocks, c.Groups = Ladder, 1, 1 }, "at least 2"},
		{"ladder latent divisible", func(c *Config) { c.Model, c.Blocks, c.Groups = Ladder, 1, 3 }, "not divisible into 3"},
		{"ladder needs hidden units", func(c *Config) { c.Model, c.Blocks, c.Groups, c.Hidden = Ladder, 1, 2, 0 }, "hidden units 0"},
		{"ladder", func(c *Config) { c.Model, c.Blocks, c.Groups = Ladder, 1, 4 }, ""},
		{"groups only for ladder", func(c *Config) { c.Groups = 2 }, "only the"},
		{"logistic", func(c *Config) { c.Likelihood = DiscreteLogistic }, ""},
		{"conditional", func(c *Config) { c.Classes = 10 }, ""},
		{"one class", func(c *Config) { c.Classes = 1 }, "classes 1"},
		{"negative classes", func(c *Config) { c.Classes = -3 }, "classes -3"},
		{"pixel head", func(c *Config) { c.PixelWidth, c.PixelKernel = 32, 7 }, ""},
		{"pixel head on a ladder", func(c *Config) { c.Model, c.Blocks, c.Groups, c.PixelWidth, c.PixelKernel = Ladder, 1, 2, 8, 3 }, ""},
		{"pixel head needs an odd window", func(c *Config) { c.PixelWidth, c.PixelKernel = 32, 4 }, "pixel kernel 4"},
		{"pixel head needs a window", func(c *Config) { c.PixelWidth = 32 }, "pixel kernel 0"},
		{"pixel kernel without a head", func(c *Config) { c.PixelKernel = 7 }, "only a model with a pixel head"},
		{"negative pixel width", func(c *Config) { c.PixelWidth = -1 }, "pixel width -1"},
		{"pixel head needs bernoulli", func(c *Config) { c.PixelWidth, c.PixelKernel, c.Likelihood = 32, 7, Gaussian }, "pixel head: needs"},
		{"pixel head needs one channel", func(c *Config) { c.PixelWidth, c.PixelKernel, c.Channels = 32, 7, 3 }, "pixel head: needs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.modify(&c)
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckLabels(t *testing.T) {
	cond := DefaultConfig()
	cond.Classes = 3
	tests := []struct {
		name   string
		cfg    Config
		labels []int
		n      int
		want   string // substring of the error; "" for none
	}{
		{"unconditional ignores labels", DefaultConfig(), []int{7, -1}, 5, ""},
		{"unconditional without labels", DefaultConfig(), nil, 5, ""},
		{"one label per image", cond, []int{0, 2, 1}, 3, ""},
		{"missing labels", cond, nil, 2, "0 labels given for 2 images"},
		{"too few labels", cond, []int{1}, 2, "1 labels given for 2 images"},
		{"label too large", cond, []int{0, 3}, 2, "label 3 of item 1 is outside"},
		{"negative label", cond, []int{-1}, 1, "label -1 of item 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.CheckLabels(tc.labels, tc.n)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("CheckLabels(%v, %d) = %v, want error containing %q", tc.labels, tc.n, err, tc.want)
			}
			ys, err2 := tc.cfg.LabelInput(tc.labels, tc.n)
			if (err2 == nil) != (err == nil) {
				t.Errorf("LabelInput(%v, %d) = %v, CheckLabels %v: want the same verdict", tc.labels, tc.n, err2, err)
			}
			if want := fmt.Sprint(tc.labels); err2 == nil && tc.cfg.Conditional() != (ys != nil) ||
				ys != nil && fmt.Sprint(ys) != want {
				t.Errorf("LabelInput(%v, %d) = %v: want the labels for a conditional model, nil otherwise", tc.labels, tc.n, ys)
			}
		})
	}
}

func TestWithFamilyDefaults(t *testing.T) {
	for _, tc := range []struct {
		model                 string
		pixelWidth            int
		blocks, groups, pixel int
	}{{Conv, 0, 0, 0, 0}, {"", 0, 0, 0, 0}, {ResNet, 0, 1, 0, 0}, {Ladder, 0, 1, 2, 0}, {Conv, 16, 0, 0, DefaultPixelKernel}} {
		c := DefaultConfig()
		c.Model, c.PixelWidth = tc.model, tc.pixelWidth
		c = WithFamilyDefaults(c)
		if c.Blocks != tc.blocks || c.Groups != tc.groups || c.PixelKernel != tc.pixel {
			t.Errorf("%q, pixel width %d: blocks %d, groups %d, pixel kernel %d; want %d, %d, %d", tc.model, tc.pixelWidth,
				c.Blocks, c.Groups, c.PixelKernel, tc.blocks, tc.groups, tc.pixel)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%q with defaults: %v", tc.model, err)
		}
	}
}

// TestGradientsMatchFiniteDifferences checks, in float64, the gradient of
// the objective (the negative ELBO, or the negative IW bound) with respect
// to every variable of every layer of every model against central finite
// differences. The noise comes from a fixed RNG state, so the objective is
// a deterministic function of the variables.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	b := testenv.XLA(t)
	base := Config{Height: 8, Width: 8, Channels: 1, Latent: 4, Widths: []int{4, 8}, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
	tests := []struct {
		name   string
		iw     int // importance samples of the IW bound; 0 for the ELBO
		modify func(c *Config)
	}{
		{"nearest, kernel 3", 0, func(c *Config) {}},
		{"depth-to-space", 0, func(c *Config) { c.Upsample = UpsampleDepthToSpace }},
		{"kernel 5, gaussian, RGB", 0, func(c *Config) { c.Kernel, c.Likelihood, c.Channels = 5, Gaussian, 3 }},
		{"discretised logistic, RGB", 0, func(c *Config) { c.Likelihood, c.Channels = DiscreteLogistic, 3 }},
		{"IW bound, K=3", 3, func(c *Config) {}},
		{"resnet, layer norm", 0, func(c *Config) { c.Model, c.Blocks, c.Norm, c.Hidden = ResNet, 1, NormLayer, 5 }},
		{"resnet, 2 blocks, kernel 5, depth-to-space", 0, func(c *Config) {
			c.Model, c.Blocks, c.Kernel, c.Upsample = ResNet, 2, 5, UpsampleDepthToSpace
		}},
		{"ladder, 2 layers", 0, func(c *Config) { c.Model, c.Blocks, c.Groups, c.Hidden = Ladder, 1, 2, 6 }},
		{"ladder, 3 layers", 0, func(c *Config) { c.Model, c.Blocks, c.Groups, c.Hidden, c.Latent = Ladder, 1, 3, 6, 6 }},
		{"ladder, 2 layers, IW bound K=3", 3, func(c *Config) { c.Model, c.Blocks, c.Groups, c.Hidden = Ladder, 1, 2, 6 }},
		{"ladder, 3 layers, IW bound K=3", 3, func(c *Config) {
			c.Model, c.Blocks, c.Groups, c.Hidden, c.Latent = Ladder, 1, 3, 6, 6
		}},
		{"pixel head, kernel 3", 0, func(c *Config) { c.PixelWidth, c.PixelKernel = 3, 3 }},
		{"pixel head, kernel 5, IW bound K=3", 3, func(c *Config) { c.PixelWidth, c.PixelKernel = 3, 5 }},
		{"ladder with a pixel head", 0, func(c *Config) {
			c.Model, c.Blocks, c.Groups, c.Hidden, c.PixelWidth, c.PixelKernel = Ladder, 1, 2, 6, 3, 3
		}},
		{"conditional conv, 3 classes", 0, func(c *Config) { c.Classes, c.Hidden = 3, 5 }},
		{"conditional conv, IW bound K=3", 3, func(c *Config) { c.Classes = 3 }},
		{"conditional resnet", 0, func(c *Config) { c.Model, c.Blocks, c.Classes = ResNet, 1, 4 }},
		{"conditional ladder, IW bound K=3", 3, func(c *Config) {
			c.Model, c.Blocks, c.Groups, c.Hidden, c.Classes = Ladder, 1, 2, 6, 3
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.modify(&cfg)
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			checkGradients(t, b, cfg, tc.iw)
		})
	}
}

// checkGradients compares the gradient of cfg's objective on two random
// images with finite differences at three entries of every variable; iw > 0
// takes the negative IW bound with iw samples instead of the negative ELBO.
func checkGradients(t *testing.T, b *backend.Backend, cfg Config, iw int) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2
	x := make([]float64, n*cfg.Height*cfg.Width*cfg.Channels)
	for i := range x {
		x[i] = float64(rng.IntN(256)) / 255
	}
	xt := tensors.FromFlatDataAndDimensions(x, n, cfg.Height, cfg.Width, cfg.Channels)
	state := mustRNG(t, 9)
	lossFn := func(ctx *context.Context, x, state *Node) *Node {
		var labels *Node // one image of class 1, one of the last class
		if cfg.Conditional() {
			labels = Const(x.Graph(), []int32{1, int32(cfg.Classes - 1)})
		}
		if iw > 0 {
			return Neg(ReduceAllSum(IWBound(IWLogWeights(ctx, cfg, x, labels, iw, StateNoise(state)))))
		}
		return ReduceAllSum(ELBO(ctx, cfg, x, labels, StateNoise(state)).NegELBO())
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	lossExec := context.MustNewExec(b, ctx.Checked(false), lossFn)
	loss := func() float64 { return tensors.ToScalar[float64](lossExec.MustExec(xt, state)[0]) }
	loss() // creates the variables
	perturb(t, ctx, rng, 0.1)
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable {
			vars = append(vars, v)
		}
	}
	gradExec := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, x, state *Node) []*Node {
		nodes := make([]*Node, len(vars))
		for i, v := range vars {
			nodes[i] = v.ValueGraph(x.Graph())
		}
		return Gradient(lossFn(ctx, x, state), nodes...)
	})
	grads := gradExec.MustExec(xt, state)
	if len(vars) < 2*(2*len(cfg.Widths)+2) {
		t.Fatalf("only %d trainable variables", len(vars))
	}
	for i, v := range vars {
		analytic := tensors.MustCopyFlatData[float64](grads[i])
		values := tensors.MustCopyFlatData[float64](v.MustValue())
		for range 3 {
			j := rng.IntN(len(values))
			numeric := centralDifference(t, v, values, j, loss)
			if diff := math.Abs(numeric - analytic[j]); diff > 1e-5*(1+math.Abs(numeric)) {
				t.Errorf("%s[%d]: gradient %.8g, finite difference %.8g", v.ScopeAndName(), j, analytic[j], numeric)
			}
		}
	}
}

// perturb adds independent normal noise of standard deviation scale to
// every trainable variable of ctx, so that the objective is checked at a
// generic point: zero-initialised biases and heads would put ReLUs exactly
// at their kinks (a dead row feeds a zero bias to the next ReLU), where
// finite differences measure half a derivative.
func perturb(t *testing.T, ctx *context.Context, rng *rand.Rand, scale float64) {
	for v := range ctx.IterVariables() {
		if !v.Trainable {
			continue
		}
		var noisy *tensors.Tensor
		if v.Shape().DType == dtypes.Float32 {
			values := tensors.MustCopyFlatData[float32](v.MustValue())
			for i := range values {
				values[i] += float32(scale * rng.NormFloat64())
			}
			noisy = tensors.FromFlatDataAndDimensions(values, v.Shape().Dimensions...)
		} else {
			values := tensors.MustCopyFlatData[float64](v.MustValue())
			for i := range values {
				values[i] += scale * rng.NormFloat64()
			}
			noisy = tensors.FromFlatDataAndDimensions(values, v.Shape().Dimensions...)
		}
		if err := v.SetValue(noisy); err != nil {
			t.Fatal(err)
		}
	}
}

func centralDifference(t *testing.T, v *context.Variable, values []float64, j int, loss func() float64) float64 {
	const h = 1e-6
	set := func(delta float64) {
		p := append([]float64(nil), values...)
		p[j] += delta
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(p, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	set(h)
	up := loss()
	set(-h)
	down := loss()
	set(0)
	return (up - down) / (2 * h)
}

// TestParameterCount checks the benchmark model (Hidden 0) against the
// 191,265 parameters of the reference architecture (conv 1→32→64 stride 2,
// dense to a 16-d latent, mirrored decoder), which the PyTorch peer in bench/
// also asserts.
func TestParameterCount(t *testing.T) {
	b := testenv.XLA(t)
	cfg := DefaultConfig()
	cfg.Hidden = 0
	ctx := context.New()
	if err := CreateVariables(b, ctx, cfg); err != nil {
		t.Fatal(err)
	}
	decode := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, z *Node) *Node { return Decode(ctx, cfg, z, nil) })
	out := decode.MustExec(tensors.FromShape(shapes.Make(dtypes.Float32, 2, cfg.Latent)))[0]
	if got := out.Shape().Dimensions; len(got) != 4 || got[1] != 28 || got[2] != 28 || got[3] != 1 {
		t.Errorf("decoder output shape %v, want [2 28 28 1]", got)
	}
	total := 0
	for v := range ctx.IterVariables() {
		if v.Trainable {
			total += v.Shape().Size()
		}
	}
	if total != 191265 {
		t.Errorf("%d trainable parameters, want 191265", total)
	}
}

// TestUpsampleConv3MatchesUpsampleThenConvolve: the fused decoder block
// computes exactly nearest upsampling followed by a same-padded 3×3
// convolution with the same variables.
func TestUpsampleConv3MatchesUpsampleThenConvolve(t *testing.T) {
	b := testenv.XLA(t)
	rng := rand.New(rand.NewPCG(3, 4))
	const n, h, w, cin, cout = 2, 5, 4, 3, 2
	x := make([]float64, n*h*w*cin)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	ctx := context.New()
	exec := context.MustNewExec(b, ctx.Checked(false), func(ctx *context.Context, x *Node) []*Node {
		fused := upsampleConv3(ctx.In("block"), x, cout)
		plain := layers.Convolution(ctx.In("block"), Upsample2(x)).Channels(cout).KernelSize(3).PadSame().Done()
		return []*Node{fused, plain}
	})
	bias := ctx.In("block").In("conv").VariableWithShape("biases", shapes.Make(dtypes.Float64, cout))
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, n, h, w, cin))
	if err := bias.SetValue(tensors.FromFlatDataAndDimensions([]float64{0.5, -1}, cout)); err != nil {
		t.Fatal(err)
	}
	out = exec.MustExec(tensors.FromFlatDataAndDimensions(x, n, h, w, cin))
	fused, plain := tensors.MustCopyFlatData[float64](out[0]), tensors.MustCopyFlatData[float64](out[1])
	if got := out[0].Shape().Dimensions; got[1] != 2*h || got[2] != 2*w || got[3] != cout {
		t.Fatalf("fused output shape %v", got)
	}
	for i := range plain {
		if math.Abs(fused[i]-plain[i]) > 1e-9 {
			t.Fatalf("output %d: fused %v, upsample then convolve %v", i, fused[i], plain[i])
		}
	}
}
