package main

import (
	"image"
	"image/color"
	"path/filepath"
	"strconv"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// genReconstructed reconstructs the first n of pixels (8×8 grey bytes)
// with the run's model in one graph and one batch, as bytes.
func genReconstructed(t *testing.T, runDir string, pixels []byte, n int) []byte {
	t.Helper()
	b := genSkipWithoutXLA(t)
	r, err := rundir.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.Config.Model
	exec := context.MustNewExec(b, r.Ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
		mean, _ := models.Encode(ctx, cfg, x, nil)
		return models.MeanImage(cfg, models.Decode(ctx, cfg, mean, nil))
	})
	x := make([]float32, n*genSide*genSide)
	for i := range x {
		x[i] = float32(pixels[i]) / 255
	}
	out := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x, n, genSide, genSide, 1))[0])
	bytes := make([]byte, len(out))
	for i, v := range out {
		bytes[i] = uint8(v*255 + 0.5)
	}
	return bytes
}

// genCell returns the pixels of cell (row, col) of a grey grid of 8×8
// cells at scale 1.
func genCell(img image.Image, row, col int) []byte {
	out := make([]byte, 0, genSide*genSide)
	for y := range genSide {
		for x := range genSide {
			g := color.GrayModel.Convert(img.At(col*(genSide+1)+x, row*(genSide+1)+y)).(color.Gray)
			out = append(out, g.Y)
		}
	}
	return out
}

// genClose reports whether a and b differ by at most 1 everywhere (float
// sums in different batch sizes may round differently).
func genClose(a, b []byte) bool {
	for i := range a {
		if d := int(a[i]) - int(b[i]); d < -1 || d > 1 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestReconstruct(t *testing.T) {
	runDir, test := genTestRun(t, 1)
	out := t.TempDir()
	want := genReconstructed(t, runDir, test, genTestN)
	size := genSide * genSide
	tests := []struct {
		n, rows, cols int
	}{
		{5, 2, 5},   // one pair of rows
		{12, 2, 12}, // the whole test split
	}
	for _, tc := range tests {
		path := filepath.Join(out, "r"+strconv.Itoa(tc.n)+".png")
		genMustRun(t, "reconstruct", "--run", runDir, "-n", strconv.Itoa(tc.n), "--first", "--scale", "1", "-o", path)
		labelled := readPNG(t, path)
		img, left, top := genUnlabel(t, labelled, tc.rows, tc.cols)
		if want := 5*7 + 8; left != want || top != 0 { // "input", "recon" in a 7-pixel font, 4 pixels either side
			t.Errorf("-n %d: label bands %d wide (left), %d high (top), want %d and 0", tc.n, left, top, want)
		}
		genLabelled(t, labelled, tc.rows, tc.cols, left, top)
		for i := range tc.n {
			if got := genCell(img, 0, i); string(got) != string(test[i*size:(i+1)*size]) {
				t.Errorf("-n %d: top cell %d is not test image %d", tc.n, i, i)
			}
			if got := genCell(img, 1, i); !genClose(got, want[i*size:(i+1)*size]) {
				t.Errorf("-n %d: bottom cell %d is not the reconstruction of test image %d", tc.n, i, i)
			}
		}
	}
	again := filepath.Join(out, "again.png")
	genMustRun(t, "reconstruct", "--run", runDir, "-n", "12", "--first", "--scale", "1", "-o", again)
	genSameFiles(t, filepath.Join(out, "r12.png"), again)
}

func TestReconstructErrors(t *testing.T) {
	runDir, _ := genTestRun(t, 1)
	out := t.TempDir()
	o := filepath.Join(out, "r.png")
	tests := []struct {
		name, want string
		args       []string
	}{
		{"more images than the test split", "only 12", []string{"--run", runDir, "-n", "13", "-o", o}},
		{"unknown data set", "no-such-set", []string{"--run", runDir, "--data", filepath.Join(out, "no-such-set"), "-o", o}},
		{"not a run folder", "not a run folder", []string{"--run", out, "-o", o}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			genMustFail(t, out, tc.want, append([]string{"reconstruct"}, tc.args...)...)
		})
	}
}
