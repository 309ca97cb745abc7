package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/safetensors"
)

// pythonDecoder is the numpy decoder the export is checked against.
const pythonDecoder = "../../examples/python/latent_decoder.py"

// TestExportMatchesPythonDecoder exports tiny random models of each model
// of the family (conv, mlp, resnet, broadcast, ladder, vq with a codebook or FSQ) and
// decoder variant and checks that examples/python/latent_decoder.py
// decodes the same latents (a vq model's: index grids) to the same images
// as latent's own decoder, within 1e-4 (float64 against float32).
func TestExportMatchesPythonDecoder(t *testing.T) {
	b := testenv.XLA(t)
	python := testenv.PythonNumpy(t)
	base := models.Config{Height: 8, Width: 8, Channels: 1, Latent: 3, Widths: []int{4, 8}, Hidden: 6,
		Kernel: 3, Upsample: models.UpsampleNearest, Likelihood: models.Bernoulli, Beta: 1}
	tests := []struct {
		name   string
		edit   func(c *models.Config)
		latent string // file format of the latents: "json" or "npy"
	}{
		{"nearest, 3x3 (phase convolution)", func(c *models.Config) {}, "json"},
		{"nearest, 5x5, one block, no hidden", func(c *models.Config) { c.Widths, c.Kernel, c.Hidden = []int{4}, 5, 0 }, "npy"},
		{"depth-to-space, 5x5, RGB, gaussian", func(c *models.Config) {
			c.Upsample, c.Kernel, c.Channels, c.Likelihood = models.UpsampleDepthToSpace, 5, 3, models.Gaussian
		}, "npy"},
		{"conditional on 3 classes, decoded as class 2", func(c *models.Config) { c.Classes = 3 }, "npy"},
		{"logistic, RGB", func(c *models.Config) { c.Likelihood, c.Channels = models.DiscreteLogistic, 3 }, "npy"},
		{"mlp", func(c *models.Config) { c.Model = models.MLP }, "json"},
		{"mlp, no hidden, conditional, logistic, RGB", func(c *models.Config) {
			c.Model, c.Hidden, c.Classes, c.Likelihood, c.Channels = models.MLP, 0, 3, models.DiscreteLogistic, 3
		}, "npy"},
		{"resnet, one block", func(c *models.Config) { c.Model, c.Blocks = models.ResNet, 1 }, "npy"},
		{"resnet, 2 blocks, layer norm, depth-to-space", func(c *models.Config) {
			c.Model, c.Blocks, c.Norm, c.Upsample = models.ResNet, 2, models.NormLayer, models.UpsampleDepthToSpace
		}, "npy"},
		{"broadcast, no hidden", func(c *models.Config) { c.Model, c.Hidden = models.Broadcast, 0 }, "npy"},
		{"broadcast, conditional, logistic, RGB", func(c *models.Config) {
			c.Model, c.Classes, c.Likelihood, c.Channels = models.Broadcast, 3, models.DiscreteLogistic, 3
		}, "npy"},
		{"ladder, 2 groups", func(c *models.Config) { c.Model, c.Blocks, c.Groups, c.Latent = models.Ladder, 1, 2, 4 }, "npy"},
		{"ladder, 3 groups, conditional, logistic", func(c *models.Config) {
			c.Model, c.Blocks, c.Groups, c.Latent, c.Classes = models.Ladder, 1, 3, 6, 3
			c.Likelihood = models.DiscreteLogistic
		}, "json"},
		{"vq, a codebook of 6, one block", func(c *models.Config) { vqConfig(c, 1) }, "npy"},
		{"vq, conditional on 3 classes, 2 blocks, 5x5, depth-to-space", func(c *models.Config) {
			vqConfig(c, 2)
			c.Classes, c.Kernel, c.Upsample = 3, 5, models.UpsampleDepthToSpace
		}, "json"},
		{"vq with FSQ, levels 3 and 4, logistic RGB", func(c *models.Config) {
			vqConfig(c, 1)
			c.Quantizer, c.Levels, c.Latent, c.Codebook, c.CodebookUpdate = models.QuantizerFSQ, []int{3, 4}, 2, 0, ""
			c.Likelihood, c.Channels = models.DiscreteLogistic, 3
		}, "npy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			dir := t.TempDir()
			runDir := randomRun(t, b, cfg, filepath.Join(dir, "run"))
			model := filepath.Join(dir, "model.safetensors")
			var out, errb bytes.Buffer
			if code := run([]string{"export", "--run", runDir, "-o", model}, &out, &errb); code != 0 {
				t.Fatalf("latent export: exit %d: %s", code, errb.String())
			}
			const n = 5
			size := cfg.Kind().Code().Size()
			z := generate.RandomLatents(n, size, 3, 2)
			if k := cfg.Codes(); k > 0 { // index grids
				z = models.UniformCodes(n*size, k, 3)
			}
			const label = 2 // of a conditional model
			want := decodeRun(t, b, runDir, z, slices.Repeat([]int{label}, n))
			latents := filepath.Join(dir, "z."+tc.latent)
			writeLatents(t, latents, z, size)
			images := filepath.Join(dir, "images.npy")
			args := []string{pythonDecoder, model, latents, "-o", images}
			if cfg.Conditional() {
				args = append(args, "--label", fmt.Sprint(label))
			}
			testenv.RunPython(t, python, nil, args...)
			got, dims := readNpyFloat32(t, images)
			if wantDims := []int{n, cfg.Height, cfg.Width, cfg.Channels}; fmt.Sprint(dims) != fmt.Sprint(wantDims) {
				t.Fatalf("python images have shape %v, want %v", dims, wantDims)
			}
			maxDiff, inside := 0.0, 0
			for i := range want {
				maxDiff = max(maxDiff, math.Abs(float64(got[i]-want[i])))
				if want[i] > 0.01 && want[i] < 0.99 {
					inside++
				}
			}
			t.Logf("max |python − latent| = %.3g over %d pixels (%d not saturated)", maxDiff, len(want), inside)
			if inside < len(want)/4 {
				t.Errorf("only %d of %d pixels are inside (0.01, 0.99): saturated images cannot tell decoders apart", inside, len(want))
			}
			if !(maxDiff <= 1e-4) { // max is NaN when a value is
				t.Errorf("python decoder differs from latent's by up to %g, want ≤ 1e-4", maxDiff)
			}
		})
	}
}

// vqConfig makes c a vq model with a codebook of 6 codes and blocks
// residual blocks each side.
func vqConfig(c *models.Config, blocks int) {
	c.Model, c.LatentKind, c.Hidden, c.Blocks = models.VQModel, models.GridLatent, 0, blocks
	c.Quantizer, c.Codebook, c.CodebookUpdate = models.QuantizerVQ, 6, models.CodebookEMA
}

// TestPythonDecoderRefusesUnknownModel checks that the numpy decoder exits
// with an error naming a model it cannot read (an unknown network, or a
// pixel head) instead of decoding it as another.
func TestPythonDecoderRefusesUnknownModel(t *testing.T) {
	python := testenv.PythonNumpy(t)
	for _, tc := range []struct {
		edit func(c *models.Config)
		want string
	}{
		{func(c *models.Config) { c.Model = "transformer" }, "unknown model 'transformer'"},
		{func(c *models.Config) { c.PixelWidth, c.PixelKernel = 32, 7 }, "the model has a pixel head"},
	} {
		cfg := models.DefaultConfig()
		tc.edit(&cfg)
		meta, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		model := filepath.Join(dir, "model.safetensors")
		if _, err := safetensors.Write(model, nil, map[string]string{"model": string(meta)}); err != nil {
			t.Fatal(err)
		}
		latents := filepath.Join(dir, "z.json")
		writeLatents(t, latents, make([]float32, cfg.Latent), cfg.Latent)
		msg, err := exec.Command(python, pythonDecoder, model, latents, "-o", filepath.Join(dir, "images.npy")).CombinedOutput()
		if err == nil || !strings.Contains(string(msg), tc.want) {
			t.Errorf("%s on %s: %v, output %q; want an error and %q", pythonDecoder, meta, err, msg, tc.want)
		}
	}
}

// TestPythonDecoderRefusesBadGrid: the numpy decoder refuses a vq model's
// grid of the wrong size or holding a value that is no codebook index,
// naming what it wants, before it reads a weight.
func TestPythonDecoderRefusesBadGrid(t *testing.T) {
	python := testenv.PythonNumpy(t)
	cfg := models.DefaultConfig()
	vqConfig(&cfg, 1) // a 7×7 grid of 6 codes
	meta, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model.safetensors")
	if _, err := safetensors.Write(model, nil, map[string]string{"model": string(meta)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		grid []float32
		want string
	}{
		{append(make([]float32, 48), 6), "a grid's values must be whole numbers from 0 to 5"},
		{append(make([]float32, 48), 2.5), "a grid's values must be whole numbers from 0 to 5"},
		{make([]float32, 16), "latents of shape (1, 16), want [n, 49]"},
	} {
		latents := filepath.Join(dir, "z.npy")
		writeLatents(t, latents, tc.grid, len(tc.grid))
		msg, err := exec.Command(python, pythonDecoder, model, latents, "-o", filepath.Join(dir, "images.npy")).CombinedOutput()
		if err == nil || !strings.Contains(string(msg), tc.want) {
			t.Errorf("%s on the grid %v: %v, output %q; want an error and %q", pythonDecoder, tc.grid, err, msg, tc.want)
		}
	}
}

// randomRun writes a run folder whose checkpoint holds cfg's encoder and
// decoder with every weight and bias drawn at random (kernels scaled by
// their fan-in).
func randomRun(t *testing.T, b *backend.Backend, cfg models.Config, dir string) string {
	t.Helper()
	ctx := context.New()
	// Unchecked: a ladder's decoder reuses the top-down path's variables
	// that its encoder creates.
	create := context.MustNewExec(b, ctx.Checked(false), func(ctx *context.Context, x, y *Node) *Node {
		mean, _ := models.Encode(ctx, cfg, x, y)
		return models.ReconNLL(ctx, cfg, x, models.Decode(ctx, cfg, mean, y)) // the likelihood's own variables too
	})
	create.MustExec(tensors.FromShape(cfg.ImageShape(1)), []int32{0})
	rng := rand.New(rand.NewPCG(1, 2))
	for v := range ctx.IterVariables() {
		// Kernels [kh, kw, in, out] scaled by their fan-in, so that deep
		// models' images are not saturated; the rest (biases, gains) 0.4.
		scale, dims := 0.4, v.Shape().Dimensions
		if len(dims) == 4 {
			scale = min(scale, 1/math.Sqrt(float64(dims[0]*dims[1]*dims[2])))
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * scale)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
	rc := rundir.DefaultConfig()
	rc.Model = cfg
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := rundir.WriteConfig(dir, rc); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(dir, 1, rc, ctx, 1); err != nil {
		t.Fatal(err)
	}
	return dir
}

// decodeRun decodes z (with labels, which only a conditional model uses)
// with latent's own decoder of the run in dir.
func decodeRun(t *testing.T, b *backend.Backend, dir string, z []float32, labels []int) []float32 {
	t.Helper()
	r, err := rundir.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := generate.NewDecoder(b, r.Ctx, r.Config.Model, len(z)/r.Config.Model.Kind().Code().Size())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Finalize()
	images, err := d.Decode(z, labels)
	if err != nil {
		t.Fatal(err)
	}
	return images
}

// writeLatents writes z [n, dim] as a JSON list of lists or a .npy file,
// by path's extension.
func writeLatents(t *testing.T, path string, z []float32, dim int) {
	t.Helper()
	var data []byte
	if strings.HasSuffix(path, ".json") {
		rows := make([][]float32, 0, len(z)/dim)
		for i := 0; i < len(z); i += dim {
			rows = append(rows, z[i:i+dim])
		}
		data, _ = json.Marshal(rows)
	} else {
		hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", len(z)/dim, dim)
		hdr += strings.Repeat(" ", 63-(10+len(hdr))%64) + "\n" // pad so data starts 64-aligned
		data = append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
		data = append(data, hdr...)
		data, _ = binary.Append(data, binary.LittleEndian, z)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readNpyFloat32 reads a little-endian float32 .npy file (format 1.0).
func readNpyFloat32(t *testing.T, path string) (vals []float32, dims []int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) < 10 || string(raw[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("%s: not a version 1.0 .npy file (%v)", path, err)
	}
	hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
	hdr := string(raw[10 : 10+hlen])
	if !strings.Contains(hdr, "'descr': '<f4'") || !strings.Contains(hdr, "'fortran_order': False") {
		t.Fatalf("%s: header %q, want C-ordered <f4", path, hdr)
	}
	shape := hdr[strings.Index(hdr, "'shape': (")+len("'shape': (") : strings.Index(hdr, ")")]
	for _, f := range strings.Split(shape, ",") {
		var d int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &d); err == nil {
			dims = append(dims, d)
		}
	}
	vals = make([]float32, (len(raw)-10-hlen)/4)
	if _, err := binary.Decode(raw[10+hlen:], binary.LittleEndian, vals); err != nil {
		t.Fatal(err)
	}
	return vals, dims
}

func TestExportErrors(t *testing.T) {
	notRun := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, "safetensors"},
		{[]string{}, 2, "--run: a run folder is required"},
		{[]string{"--run", notRun}, 1, "--run: " + notRun + " is not a run folder"},
		{[]string{"--run", notRun, "-o", filepath.Join(notRun, "no", "m.safetensors")}, 2, "-o " + filepath.Join(notRun, "no", "m.safetensors") + ": the folder"},
		{[]string{"--run", notRun, "extra"}, 2, "unexpected arguments"},
		{[]string{"--run", notRun, "-o", filepath.Join(notRun, "m.bin")}, 2, "unknown extension .bin; want .safetensors"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(append([]string{"export"}, tc.args...), &out, &errb)
		if all := out.String() + errb.String(); code != tc.code || !strings.Contains(all, tc.want) {
			t.Errorf("latent export %v: exit %d, output %q; want exit %d and %q", tc.args, code, all, tc.code, tc.want)
		}
	}
	if entries, _ := os.ReadDir(notRun); len(entries) != 0 {
		t.Errorf("failed exports left %d files in %s", len(entries), notRun)
	}
}
