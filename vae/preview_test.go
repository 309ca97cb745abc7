package vae

import (
	"errors"
	"testing"

	"github.com/latent-vae/latent/data"
)

// TestPreviewGrid: rows of 8 cells upscaled 3 times; numbered, each row
// under a band of captions, so taller.
func TestPreviewGrid(t *testing.T) {
	sp := &data.Split{Pixels: make([]uint8, 10*2*2), Labels: make([]int, 10), N: 10, Height: 2, Width: 2, Channels: 1}
	set := &data.Set{Classes: []string{"a"}, Train: sp, Test: sp}
	indices := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	plain := PreviewGrid(set, sp, indices, false)
	if b := plain.Bounds(); b.Dx() != 8*6+7 || b.Dy() != 2*6+1 {
		t.Errorf("9 images in rows of 8 at scale 3: %v, want 55x13", b)
	}
	if numbered := PreviewGrid(set, sp, indices, true); numbered.Bounds().Dy() <= plain.Bounds().Dy() {
		t.Errorf("numbered grid %v is no taller than the plain %v", numbered.Bounds(), plain.Bounds())
	}
}

// TestPreview: the split --split names, at most PreviewImages images of
// it, and a --split that names none refused as a usage error.
func TestPreview(t *testing.T) {
	train := &data.Split{Pixels: make([]uint8, 100*2*2), Labels: make([]int, 100), N: 100, Height: 2, Width: 2, Channels: 1}
	test := &data.Split{Pixels: make([]uint8, 5*2*2), Labels: make([]int, 5), N: 5, Height: 2, Width: 2, Channels: 1}
	set := &data.Set{Classes: []string{"a"}, Train: train, Test: test}
	for _, tc := range []struct {
		split, name string
		sp          *data.Split
		n           int
	}{{"train", "training", train, PreviewImages}, {"test", "test", test, 5}} {
		if err := CheckSplit(tc.split); err != nil {
			t.Errorf("--split %s: %v", tc.split, err)
		}
		sp, name := SplitOf(set, tc.split)
		if sp != tc.sp || name != tc.name {
			t.Errorf("SplitOf(%s) = %p %q, want %p %q", tc.split, sp, name, tc.sp, tc.name)
		}
		if _, n := Preview(set, sp, false); n != tc.n {
			t.Errorf("Preview of the %s split: %d images, want %d", tc.split, n, tc.n)
		}
	}
	var arg *ArgError
	if err := CheckSplit("val"); !errors.As(err, &arg) || err.Error() != `--split "val": want train or test` {
		t.Errorf("--split val: %v, want a usage error", err)
	}
}
