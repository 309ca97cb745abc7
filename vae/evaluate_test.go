package vae

import (
	"math"
	"slices"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/models"
)

// TestMostAnomalous: the k highest scores, highest first, ties by index.
func TestMostAnomalous(t *testing.T) {
	if got, want := MostAnomalous([]float64{1, 3, 2, 3, 0}, 3), []int{1, 3, 2}; !slices.Equal(got, want) {
		t.Errorf("MostAnomalous: %v, want %v", got, want)
	}
	if got := MostAnomalous([]float64{1, 2}, 5); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("k above n: %v, want [1 0]", got)
	}
}

// TestBitsPerDim: nats per image over dims·ln 2, the IW bound only when
// measured; and the published numbers only for MNIST without classes.
func TestBitsPerDim(t *testing.T) {
	iw := 2 * 784 * math.Ln2
	b := bitsPerDim(&eval.Result{Losses: models.Losses{NegELBO: 784 * math.Ln2}, IWNLL: &iw}, 784)
	if !(math.Abs(b.NegELBO-1) < 1e-12) || b.IWNLL == nil || !(math.Abs(*b.IWNLL-2) < 1e-12) {
		t.Errorf("bits per dim %+v, want 1 and 2", b)
	}
	if b := bitsPerDim(&eval.Result{Losses: models.Losses{NegELBO: 1}}, 1); b.IWNLL != nil {
		t.Errorf("no IW bound measured, got %v bits", *b.IWNLL)
	}
	if references(data.MNIST, false, 10) != nil || references("folder", false, 0) != nil || references(data.MNIST, true, 0) == nil {
		t.Error("references: want MNIST's only, unconditional")
	}
}
