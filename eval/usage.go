package eval

import (
	"fmt"
	"math"

	"github.com/latent-vae/latent/models"
)

// CodeUsage measures how a quantised model (a vq run) uses its codes on
// images: the perplexity exp(H) of the codes' frequencies over every cell
// of every image, and the fraction of the model's codes used at least
// once (Usage). A model that does not quantise is refused.
func (m *Model) CodeUsage(images []float32, labels []int) (perplexity, used float64, err error) {
	if !models.Quantized(m.Config) {
		return 0, 0, fmt.Errorf("code usage: the model does not quantize its code (it has %s)", m.Config.Kind().Describe())
	}
	codes, err := m.Codes(images, labels, 1, 0, 1)
	if err != nil {
		return 0, 0, fmt.Errorf("code usage: %w", err)
	}
	perplexity, used = Usage(codes, m.Config.Codes())
	return perplexity, used, nil
}

// Usage returns the perplexity exp(H) of the frequencies of codes
// (indices in [0, k) as float32; H in nats: k when all are used equally,
// 1 when one takes all) and the fraction of the k codes that occur. An
// index outside [0, k) is a programming error, and panics.
func Usage(codes []float32, k int) (perplexity, used float64) {
	counts := make([]int, k)
	for _, c := range codes {
		counts[int(c)]++
	}
	var h float64
	n, seen := float64(len(codes)), 0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		seen++
		p := float64(c) / n
		h -= p * math.Log(p)
	}
	return math.Exp(h), float64(seen) / float64(k)
}
