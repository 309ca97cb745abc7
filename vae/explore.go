package vae

import (
	"fmt"
	"math"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
)

// Interpolate decodes frames codes along method's path between each pair
// of endpoints (ends 2k and 2k+1 are pair k's start and end), pair after
// pair, every frame of pair k as class pairLabels[k] (nil: no labels).
//
// Paths are straight or great-circle lines through codes. A vq run's
// ends are grids of vectors before quantisation (InterpolationEnds), and
// each frame is quantised to its nearest codes before it is decoded;
// another latent kind that is not continuous is refused, in one line.
func (s *Session) Interpolate(method generate.Method, ends [][]float32, pairLabels []int, frames int) ([]float32, error) {
	size, err := s.pathSize()
	if err != nil {
		return nil, err
	}
	pairs := len(ends) / 2
	codes := make([]float32, 0, frames*pairs*size)
	var labels []int
	for k := range pairs { // pair-major: each pair's path in turn
		codes = append(codes, method.Path(ends[2*k], ends[2*k+1], frames)...)
		if pairLabels != nil {
			labels = append(labels, RepeatLabel(pairLabels[k], frames)...)
		}
	}
	if s.gridRun() {
		if codes, err = s.quantizeGrids(codes); err != nil {
			return nil, err
		}
	}
	return s.Decode(codes, labels)
}

// Dimensions is the number of the run's latent dimensions, which what (a
// command or flag that moves or plots them one at a time: "traverse",
// "--manifold") uses; a latent kind without dimensions (see
// models.Dimensions) is refused, in one line that names what.
func (s *Session) Dimensions(what string) (int, error) {
	kind := s.Model.Kind()
	if err := models.NeedContinuous(kind, what); err != nil {
		return 0, err
	}
	return models.Dimensions(kind), nil
}

// Reconstruct returns the reconstructions of images: each one's posterior
// mean decoded, both with its label for a conditional run.
func (s *Session) Reconstruct(images []float32, labels []int) ([]float32, error) {
	means, err := s.Encode(images, labels)
	if err != nil {
		return nil, err
	}
	return s.Decode(means, labels)
}

// UnitKL returns each latent dimension's KL(q(z_d|x) ‖ N(0, 1)) averaged
// over split's images, encoded with their labels; a latent kind without
// dimensions is refused, in one line.
func (s *Session) UnitKL(split *data.Split) ([]float64, error) {
	kind := s.Model.Kind()
	if err := models.NeedContinuous(kind, "a KL per latent dimension"); err != nil {
		return nil, err
	}
	model, err := s.EvalModel(eval.DefaultBatch)
	if err != nil {
		return nil, err
	}
	means, logVars, err := model.Encode(split.Images(), split.Labels)
	if err != nil {
		return nil, fmt.Errorf("encoding the test split: %w", err)
	}
	return UnitKL(means, logVars, models.Dimensions(kind)), nil
}

// UnitKL returns each latent dimension's KL(q(z_d|x) ‖ N(0, 1)) averaged
// over the images whose posterior means and log-variances are given (flat,
// latent per image).
func UnitKL(means, logVars []float32, latent int) []float64 {
	kl := make([]float64, latent)
	n := len(means) / latent
	for i, mu := range means {
		lv := float64(logVars[i])
		kl[i%latent] += 0.5 * (float64(mu)*float64(mu) + math.Exp(lv) - lv - 1) / float64(n)
	}
	return kl
}
