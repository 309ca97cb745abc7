package shapes_test

import (
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/testenv"
	"github.com/latent-vae/latent/internal/testrun"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/shapes"
)

// The small run of TestColourDefaultsReconstruct.
const (
	reconImages = 16   // shapes trained on and reconstructed
	reconSteps  = 1000 // batches of the colour defaults' size
	maxColour   = 16.0 // levels of 255, mean per channel: the bound
	maxPosition = 1.0  // pixels: the bound
)

// TestColourDefaultsReconstruct trains the model and batch size a new run
// on colour images gets (rundir.ColourDefaults; narrower layers, to run in
// CI) on 16 shapes, briefly, and checks that it reconstructs them keeping
// each shape's colour and place (shapes.Errors, averaged over the 16): the
// mean absolute error per channel over the shape's pixels within 16 levels
// of 255, the centroid within a pixel, the bounds. It checks that
// the likelihood, the network and the image drawn from the decoder
// (models.MeanImage) keep flat colours and edges, not generalisation: the
// full run's numbers are docs/numbers.md's.
func TestColourDefaultsReconstruct(t *testing.T) {
	b := testenv.XLA(t)
	cfg := rundir.DefaultConfig()
	cfg.Model.Height, cfg.Model.Width, cfg.Model.Channels = shapes.Side, shapes.Side, shapes.Channels
	rundir.ColourDefaults(&cfg, map[string]bool{})
	m := cfg.Model
	m.Widths, m.Hidden = []int{16, 32}, 64
	pixels, factors := shapes.Generate(reconImages, shapes.Seed)
	x := make([]float32, len(pixels))
	for i, p := range pixels {
		x[i] = float32(p) / 255
	}
	start := time.Now()
	ctx, _ := testrun.Train(t, b, m, x, reconSteps, cfg.BatchSize, 1)
	t.Logf("trained %d steps of %d in %v", reconSteps, cfg.BatchSize, time.Since(start).Round(time.Millisecond))

	const n = 16
	exec := context.MustNewExec(b, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
		mean, _ := models.Encode(ctx, m, x, nil)
		return models.MeanImage(m, models.Decode(ctx, m, mean, nil))
	})
	recon := tensors.MustCopyFlatData[float32](exec.MustExec(tensors.FromFlatDataAndDimensions(x[:n*shapes.Pixels], n, shapes.Side, shapes.Side, shapes.Channels))[0])
	var colour, position float64
	for i := range n {
		e, err := shapes.Errors(factors[i], recon[i*shapes.Pixels:(i+1)*shapes.Pixels])
		if err != nil {
			t.Fatal(err)
		}
		colour += (e.Colour[0] + e.Colour[1] + e.Colour[2]) / 3 / n
		position += e.Position / n
	}
	t.Logf("%s, %d images: colour error %.1f levels per channel, position error %.2f pixels", m.Likelihood, n, colour, position)
	if !(colour <= maxColour) {
		t.Errorf("colour error %.1f levels of 255 per channel, want at most %v", colour, maxColour)
	}
	if !(position <= maxPosition) {
		t.Errorf("position error %.2f pixels, want at most %v", position, maxPosition)
	}
}
