package models

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
)

// likelihoodCase is one colour likelihood on fixed pixels: x and the
// decoder's outputs [N, C] (images of one pixel), and the likelihood's
// per-channel variable (decoder/log_scale or decoder/log_sigma; nil for
// the Bernoulli, which has none).
type likelihoodCase struct {
	likelihood, variable string
	x, out               [][]float32
	value                []float32
}

// referencePixels pairs every level in levels with every decoder output
// in outs, one pair per channel: channel c of image i takes pair i·C + c.
func referencePixels(levels []int, outs []float32, channels int) (x, out [][]float32) {
	var px, po []float32
	for _, l := range levels {
		for _, o := range outs {
			px, po = append(px, float32(l)/255), append(po, o)
		}
	}
	for len(px)%channels != 0 {
		px, po = append(px, px[0]), append(po, po[0])
	}
	for i := 0; i < len(px); i += channels {
		x, out = append(x, px[i:i+channels]), append(out, po[i:i+channels])
	}
	return x, out
}

// TestLikelihoodsAgainstNumpy checks ReconNLL, per one-pixel colour image
// in nats, against testdata/likelihood.py, an independent numpy
// implementation in float64: the discretised logistic as PixelCNN++'s
// loss defines it (the edge levels 0 and 255 taking the tails, a bin of
// mass below 1e-5 scored by its centre's density), with the learned
// per-channel log-scale (its rate and soft floor included), and where every
// bin's mass is above 1e-5 also against the exact mass of each bin from
// the logistic's CDF; the Gaussian with its per-channel σ; the Bernoulli
// from logits. It is skipped without python and numpy ($LATENT_PYTHON),
// failed with CI=true.
func TestLikelihoodsAgainstNumpy(t *testing.T) {
	python := testenv.PythonNumpy(t)
	b := testenv.XLA(t)
	levels := []int{0, 1, 2, 64, 127, 128, 200, 253, 254, 255}
	x, logisticOut := referencePixels(levels, []float32{-1.3, -1, -0.998, -0.4, 0, 0.003, 0.5, 0.999, 1, 1.25}, 3)
	xr, realOut := referencePixels(levels, []float32{-9, -2, -0.3, 0, 0.7, 3, 8}, 3)
	cases := []likelihoodCase{
		// log-scales 30·v softly floored at −7: 0, −3, −6 and about −6.9.
		{DiscreteLogistic, "log_scale", x, logisticOut, []float32{0, -0.1, -0.2}},
		{DiscreteLogistic, "log_scale", x, logisticOut, []float32{-0.3, 0.02, -0.15}},
		{DiscreteLogistic, "log_scale", x, logisticOut, []float32{0.01, -0.05, -0.1}}, // wide: most bins hold > 1e-5
		{Gaussian, "log_sigma", xr, realOut, []float32{0, -2.5, -5}},
		{Bernoulli, "", xr, realOut, nil},
	}
	for _, c := range cases {
		t.Run(c.likelihood, func(t *testing.T) {
			got := latentNLL(t, b, c)
			ref := numpyNLL(t, python, c)
			checked := 0
			for i := range got {
				if d := math.Abs(got[i] - ref.NLL[i]); !(d <= 1e-3+1e-5*math.Abs(ref.NLL[i])) {
					t.Errorf("image %d (x %v, out %v, variable %v): latent %.6f nats, numpy %.6f", i, c.x[i], c.out[i], c.value, got[i], ref.NLL[i])
				}
				if c.likelihood == DiscreteLogistic && ref.MassOK[i] {
					checked++
					if d := math.Abs(got[i] - ref.Exact[i]); !(d <= 1e-3+1e-5*math.Abs(ref.Exact[i])) {
						t.Errorf("image %d (x %v, out %v): latent %.6f nats, exact bin masses %.6f", i, c.x[i], c.out[i], got[i], ref.Exact[i])
					}
				}
			}
			if c.likelihood == DiscreteLogistic && checked == 0 {
				t.Errorf("none of %d images checked against the exact bin masses", len(got))
			}
		})
	}
}

// latentNLL is ReconNLL for c's pixels, in float32 as training runs it.
func latentNLL(t *testing.T, b backends.Backend, c likelihoodCase) []float64 {
	t.Helper()
	n, ch := len(c.x), len(c.x[0])
	cfg := Config{Channels: ch, Likelihood: c.likelihood}
	ctx := context.New()
	if c.variable != "" {
		ctx.In("decoder").VariableWithValue(c.variable, tensors.FromFlatDataAndDimensions(c.value, ch))
	}
	exec := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, x, out *Node) *Node {
		return ReconNLL(ctx, cfg, x, out)
	})
	var fx, fo []float32
	for i := range c.x {
		fx, fo = append(fx, c.x[i]...), append(fo, c.out[i]...)
	}
	res := exec.MustExec(tensors.FromFlatDataAndDimensions(fx, n, 1, 1, ch), tensors.FromFlatDataAndDimensions(fo, n, 1, 1, ch))
	got := make([]float64, n)
	for i, v := range tensors.MustCopyFlatData[float32](res[0]) {
		got[i] = float64(v)
	}
	return got
}

// numpyReference is what testdata/likelihood.py returns.
type numpyReference struct {
	NLL    []float64 `json:"nll"`
	Exact  []float64 `json:"exact"`
	MassOK []bool    `json:"mass_ok"`
}

// numpyNLL runs testdata/likelihood.py on c.
func numpyNLL(t *testing.T, python string, c likelihoodCase) numpyReference {
	t.Helper()
	value := c.value
	if value == nil {
		value = make([]float32, len(c.x[0]))
	}
	req, err := json.Marshal(map[string]any{"likelihood": c.likelihood, "x": c.x, "out": c.out, "var": value,
		"rate": LogisticScaleRate, "floor": logisticMinLogScale})
	if err != nil {
		t.Fatal(err)
	}
	var ref numpyReference
	testenv.PythonJSON(t, &ref, python, req, "testdata/likelihood.py")
	if len(ref.NLL) != len(c.x) {
		t.Fatalf("numpy returned %d values for %d images", len(ref.NLL), len(c.x))
	}
	return ref
}
