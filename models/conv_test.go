package models

import (
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

// TestGradientsMatchFiniteDifferences checks, in float64, the gradient of the
// negative ELBO with respect to every variable of every layer against
// central finite differences.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	b := testenv.XLA(t)
	base := Config{Height: 8, Width: 8, Channels: 1, Latent: 3, Widths: []int{4, 8}, Kernel: 3,
		Upsample: UpsampleNearest, Likelihood: Bernoulli, Beta: 1}
	tests := []struct {
		name   string
		modify func(c *Config)
	}{
		{"nearest, kernel 3", func(c *Config) {}},
		{"depth-to-space", func(c *Config) { c.Upsample = UpsampleDepthToSpace }},
		{"kernel 5, gaussian, RGB", func(c *Config) { c.Kernel, c.Likelihood, c.Channels = 5, Gaussian, 3 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.modify(&cfg)
			checkGradients(t, b, cfg)
		})
	}
}

func checkGradients(t *testing.T, b *backend.Backend, cfg Config) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2
	x := make([]float64, n*cfg.Height*cfg.Width*cfg.Channels)
	for i := range x {
		x[i] = rng.Float64()
	}
	eps := make([]float64, n*cfg.Latent)
	for i := range eps {
		eps[i] = rng.NormFloat64()
	}
	xt := tensors.FromFlatDataAndDimensions(x, n, cfg.Height, cfg.Width, cfg.Channels)
	et := tensors.FromFlatDataAndDimensions(eps, n, cfg.Latent)
	lossFn := func(ctx *context.Context, x, eps *Node) *Node {
		mean, logVar := Encode(ctx, cfg, x)
		z := Reparameterize(mean, logVar, eps)
		out := Decode(ctx, cfg, z)
		return ReduceAllSum(Add(ReconNLL(ctx, cfg, x, out), KL(mean, logVar)))
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(5); err != nil {
		t.Fatal(err)
	}
	lossExec := context.MustNewExec(b, ctx.Checked(false), lossFn)
	loss := func() float64 { return tensors.ToScalar[float64](lossExec.MustExec(xt, et)[0]) }
	loss() // creates the variables
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable {
			vars = append(vars, v)
		}
	}
	gradExec := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, x, eps *Node) []*Node {
		nodes := make([]*Node, len(vars))
		for i, v := range vars {
			nodes[i] = v.ValueGraph(x.Graph())
		}
		return Gradient(lossFn(ctx, x, eps), nodes...)
	})
	grads := gradExec.MustExec(xt, et)
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
	decode := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, z *Node) *Node { return Decode(ctx, cfg, z) })
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
