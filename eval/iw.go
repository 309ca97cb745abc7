package eval

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// LogLikelihood returns, for every image, the importance-weighted estimate
// of log p(x) with k samples (Burda et al.'s bound, a lower bound in
// expectation): log (1/k) Σ_j p(x|z_j) p(z_j) / q(z_j|x) with z_j drawn from
// q(z|x) by an RNG seeded by seed. Samples are drawn Chunk per graph call
// and their log-weights combined with a streaming log-sum-exp, so memory
// does not grow with k. For a conditional model it is log p(x|y), y the
// images' labels.
func (m *Model) LogLikelihood(images []float32, labels []int, k int, seed int64) ([]float64, error) {
	in, err := m.check(images, labels)
	if err != nil {
		return nil, err
	}
	n := in.n
	if k < 1 {
		return nil, fmt.Errorf("importance samples %d: want at least 1", k)
	}
	chunk := min(k, max(m.Chunk, 1))
	exec, err := m.iwExec(chunk)
	if err != nil {
		return nil, err
	}
	rng, err := graph.RNGStateFromSeed(seed)
	if err != nil {
		return nil, err
	}
	defer func() { rng.FinalizeAll() }()
	b := m.batchSize(n, chunk)
	out := make([]float64, n)
	err = m.forBatches("iw", in, b, func(x, y *tensors.Tensor, start, count int) error {
		sums := make([]LogSumExp, count)
		for done := 0; done < k; done += chunk {
			outs, err := exec.Exec(x, y, rng)
			if err != nil {
				return fmt.Errorf("running the importance-weighted graph: %w", err)
			}
			rng.FinalizeAll()
			rng = outs[0]
			err = addLogWeights(sums, outs[1], b, chunk, min(chunk, k-done))
			outs[1].FinalizeAll()
			if err != nil {
				return err
			}
		}
		for i := range sums {
			out[start+i] = sums[i].Mean()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// addLogWeights adds the first use of each row's chunk log-weights in t
// [b, chunk] to the row's sum, for the len(sums) real rows.
func addLogWeights(sums []LogSumExp, t *tensors.Tensor, b, chunk, use int) error {
	if err := checkShape(t, b, chunk); err != nil {
		return err
	}
	return tensors.ConstFlatData(t, func(flat []float32) {
		for i := range sums {
			for _, w := range flat[i*chunk : i*chunk+use] {
				sums[i].Add(float64(w))
			}
		}
	})
}

// iwExec returns the importance-weighted graph drawing chunk samples per
// image, building it on first use.
func (m *Model) iwExec(chunk int) (*context.Exec, error) {
	if e, ok := m.iw[chunk]; ok {
		return e, nil
	}
	e, err := context.NewExec(m.backend, m.ctx, iwGraph(m.Config, chunk))
	if err != nil {
		return nil, fmt.Errorf("building the importance-weighted graph: %w", err)
	}
	m.iw[chunk] = e
	return e, nil
}
