package generate

import (
	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/models"
)

// GridMap runs one of a vq model's grid graphs (models.GridEncode,
// GridQuantize, GridVectors) over items in fixed-size batches, through one
// graph compiled once; the last batch of a call is padded.
type GridMap struct{ r *batchRunner }

// NewGridEncoder compiles models.GridEncode of cfg, a vq model whose
// variables ctx holds: images to their grids before quantisation, flat
// cfg.GridVectorSize() values each.
func NewGridEncoder(b backends.Backend, ctx *context.Context, cfg models.Config, batch int) (*GridMap, error) {
	return newGridMap(b, ctx, cfg, "grid encoder", batch, []int{cfg.Height, cfg.Width, cfg.Channels}, cfg.GridVectorSize(),
		func(ctx *context.Context, x, y *Node) *Node { return models.GridEncode(ctx, cfg, x, y) })
}

// NewGridQuantizer compiles models.GridQuantize of cfg: grids of vectors
// to their nearest codes' indices, as float32 codes of the run's latent
// kind (what a Decoder decodes).
func NewGridQuantizer(b backends.Backend, ctx *context.Context, cfg models.Config, batch int) (*GridMap, error) {
	return newGridMap(b, ctx, cfg, "grid quantizer", batch, []int{cfg.GridVectorSize()}, cfg.Kind().Code().Size(),
		func(ctx *context.Context, z, _ *Node) *Node {
			return ConvertDType(models.GridQuantize(ctx, cfg, z), z.DType())
		})
}

// NewGridVectors compiles models.GridVectors of cfg: codes of the run's
// latent kind (indices as float32) to their codebook vectors.
func NewGridVectors(b backends.Backend, ctx *context.Context, cfg models.Config, batch int) (*GridMap, error) {
	return newGridMap(b, ctx, cfg, "code vectors", batch, []int{cfg.Kind().Code().Size()}, cfg.GridVectorSize(),
		func(ctx *context.Context, idx, _ *Node) *Node { return models.GridVectors(ctx, cfg, idx) })
}

func newGridMap(b backends.Backend, ctx *context.Context, cfg models.Config, name string, batch int, inDims []int, outSize int,
	fn func(ctx *context.Context, x, y *Node) *Node) (*GridMap, error) {
	r, err := newBatchRunner(b, ctx, cfg, name, batch, inDims, outSize, fn)
	if err != nil {
		return nil, err
	}
	return &GridMap{r}, nil
}

// Map runs the graph on in (a whole number of items), with their labels
// for a conditional model's encoder (the others take nil).
func (m *GridMap) Map(in []float32, labels []int) ([]float32, error) { return m.r.run(in, labels) }

// Finalize frees the compiled graph.
func (m *GridMap) Finalize() { m.r.exec.Finalize() }
