package models

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/internal/testenv"
)

// TestPermutations checks that every column is a permutation of the batch,
// that the columns differ (each dimension is permuted on its own), and
// that the same seed and step give the same permutations and another step
// others.
func TestPermutations(t *testing.T) {
	const b, d = 16, 5
	p := Permutations(b, d, 3, 7)
	if !slices.Equal(p, Permutations(b, d, 3, 7)) {
		t.Error("the same seed and step gave other permutations")
	}
	if slices.Equal(p, Permutations(b, d, 3, 8)) {
		t.Error("another step gave the same permutations")
	}
	cols := map[string]bool{}
	for c := range d {
		var col []int32
		for i := range b {
			col = append(col, p[i*d+c])
		}
		s := slices.Sorted(slices.Values(col))
		for i, v := range s {
			if int(v) != i {
				t.Fatalf("column %d is %v: not a permutation of 0…%d", c, col, b-1)
			}
		}
		cols[string(int32sString(col))] = true
	}
	if len(cols) < d {
		t.Errorf("only %d distinct columns of %d", len(cols), d)
	}
}

func int32sString(v []int32) []rune {
	r := make([]rune, len(v))
	for i, x := range v {
		r[i] = rune('a' + x)
	}
	return r
}

// TestPermuteDimsAndDiscriminatorLoss checks PermuteDims against the
// indices it is given, and the discriminator's cross-entropy and accuracy
// against a hand computation from fixed logits.
func TestPermuteDimsAndDiscriminatorLoss(t *testing.T) {
	b := testenv.XLA(t)
	z := []float32{0, 1, 10, 11, 20, 21} // [3, 2]: row i holds 10i + d
	perm := []int32{2, 0, 0, 2, 1, 1}
	joint, permuted := []float32{2, -1, 0.5}, []float32{-3, 0.25, 0}
	exec, err := NewExec(b, func(z, perm, j, p *Node) []*Node {
		l, a := DiscriminatorLoss(j, p)
		return []*Node{PermuteDims(z, perm), l, a}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(z, 3, 2), tensors.FromFlatDataAndDimensions(perm, 3, 2),
		joint, permuted)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tensors.MustCopyFlatData[float32](out[0]), []float32{20, 1, 0, 21, 10, 11}; !slices.Equal(got, want) {
		t.Errorf("PermuteDims = %v, want %v", got, want)
	}
	softplus := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	var want float64
	for i := range joint {
		want += (softplus(-float64(joint[i])) + softplus(float64(permuted[i]))) / 6
	}
	if got := float64(tensors.ToScalar[float32](out[1])); !(math.Abs(got-want) <= 1e-6) {
		t.Errorf("discriminator loss %v, want %v", got, want)
	}
	// Right: joint 2 and 0.5 (of 3), permuted −3 and 0 (of 3).
	if got := float64(tensors.ToScalar[float32](out[2])); !(math.Abs(got-4.0/6) <= 1e-6) {
		t.Errorf("discriminator accuracy %v, want 4/6", got)
	}
}
