package testrun

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/latent-vae/latent/models"
)

// GridKind is a latent kind registered for tests only: a GridSide×GridSide
// grid of int32 indices into a codebook of GridCodes vectors, the shape of
// issue "vq"'s discrete latent, as a type without training. Tests set
// models.Config.LatentKind to it to check that whatever needs a continuous
// latent refuses it in one line.
const GridKind = "test-grid"

// The test grid's size: a GridSide×GridSide grid of indices into GridCodes
// codes.
const (
	GridSide  = 4
	GridCodes = 8
)

func init() {
	models.RegisterLatentKind(GridKind, func(models.Config) models.LatentKind { return gridKind{} })
}

// gridKind is GridKind.
type gridKind struct{}

// Name is GridKind.
func (gridKind) Name() string { return GridKind }

// Code is [GridSide, GridSide] int32.
func (gridKind) Code() shapes.Shape { return shapes.Make(dtypes.Int32, GridSide, GridSide) }

// Describe names the grid and its codebook.
func (gridKind) Describe() string {
	return fmt.Sprintf("a %d×%d grid of indices into %d codes", GridSide, GridSide, GridCodes)
}

// Codebook is GridCodes (models.Discrete).
func (gridKind) Codebook() int { return GridCodes }

// Prior draws every index uniformly from the codebook.
func (gridKind) Prior(n int, seed int64, _ float64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	z := make([]float32, n*GridSide*GridSide)
	for i := range z {
		z[i] = float32(rng.IntN(GridCodes))
	}
	return z
}

// Rate is not built: the test grid is not trained.
func (gridKind) Rate(models.Group) *graph.Node { panic("testrun: the test grid kind is not trainable") }

// LogRatio is not built: the test grid is not trained.
func (gridKind) LogRatio(models.Group) *graph.Node {
	panic("testrun: the test grid kind is not trainable")
}
