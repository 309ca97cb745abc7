package vae

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
)

// A vq run's code is a grid of indices, which have no order: the commands
// that move through or measure distances in latent space use vectors
// instead. Interpolation runs through the encoder's outputs before
// quantisation (GridEncode), each frame quantised to its nearest codes;
// map and neighbors place the quantised vectors (GridVectors of the
// indices).

// gridRun reports whether the run's codes are a vq model's grid, whose
// vectors stand in for its indices where a command needs vectors.
func (s *Session) gridRun() bool {
	return models.Quantized(s.Model) && !models.Continuous(s.Model.Kind())
}

// pathSize is the size of a point on an interpolation's path: a
// continuous code, or a vq run's grid of vectors; another latent kind is
// refused, in one line.
func (s *Session) pathSize() (int, error) {
	if s.gridRun() {
		return s.Model.GridVectorSize(), nil
	}
	return s.Dimensions("interpolation")
}

// pathEncode maps images to the points of interpolation paths: their
// posterior means, or a vq run's grids before quantisation.
func (s *Session) pathEncode(images []float32, labels []int) ([]float32, error) {
	if !s.gridRun() {
		return s.Encode(images, labels)
	}
	n := len(images) / (s.Model.Height * s.Model.Width * s.Model.Channels)
	return s.runGridMap(generate.NewGridEncoder, n, images, labels)
}

// pathPoints maps codes drawn from a prior to path points: themselves, or
// a vq run's indices to their codebook vectors.
func (s *Session) pathPoints(codes []float32) ([]float32, error) {
	if !s.gridRun() {
		return codes, nil
	}
	return s.GridVectors(codes)
}

// GridVectors maps a vq run's codes (index grids, as float32) to their
// codes' vectors, flat Model.GridVectorSize() values each.
func (s *Session) GridVectors(codes []float32) ([]float32, error) {
	n := len(codes) / s.Model.Kind().Code().Size()
	return s.runGridMap(generate.NewGridVectors, n, codes, nil)
}

// quantizeGrids maps a vq run's grids of vectors to the indices of their
// nearest codes, codes the decoder takes.
func (s *Session) quantizeGrids(points []float32) ([]float32, error) {
	n := len(points) / s.Model.GridVectorSize()
	return s.runGridMap(generate.NewGridQuantizer, n, points, nil)
}

// runGridMap compiles a grid graph by newMap for n items and runs it on
// in; labels nil stand for class 0 of a conditional run (only the encoder
// reads them).
func (s *Session) runGridMap(newMap func(backends.Backend, *context.Context, models.Config, int) (*generate.GridMap, error),
	n int, in []float32, labels []int) ([]float32, error) {
	if labels == nil && s.Model.Conditional() {
		labels = make([]int, n)
	}
	m, err := newMap(s.Backend, s.Run.Ctx, s.Model, generate.BatchFor(n))
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	defer m.Finalize()
	return m.Map(in, labels)
}

// PointsFunc maps images, with their labels, to points in latent space,
// flat, one point per image.
type PointsFunc func(images []float32, labels []int) ([]float32, error)

// latentPoints returns what map and neighbors place in latent space, in
// batches of batch, and the points' dimension: posterior means, or a vq
// run's quantised vectors (its index grids' codebook vectors, flat
// cells·D), since indices have no order; another latent kind that is not
// continuous is refused, in one line that names what.
func (s *Session) latentPoints(batch int, what string) (PointsFunc, int, error) {
	if s.gridRun() {
		return func(images []float32, labels []int) ([]float32, error) {
			n := len(images) / (s.Model.Height * s.Model.Width * s.Model.Channels)
			e, err := generate.NewEncoder(s.Backend, s.Run.Ctx, s.Model, min(batch, generate.BatchFor(n)))
			if err != nil {
				return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
			}
			defer e.Finalize()
			codes, err := e.Encode(images, labels)
			if err != nil {
				return nil, err
			}
			return s.GridVectors(codes)
		}, s.Model.GridVectorSize(), nil
	}
	d, err := s.Dimensions(what)
	if err != nil {
		return nil, 0, err
	}
	model, err := s.EvalModel(batch)
	if err != nil {
		return nil, 0, err
	}
	return func(images []float32, labels []int) ([]float32, error) {
		means, _, err := model.Encode(images, labels)
		return means, err
	}, d, nil
}
