package data

import (
	"bytes"
	"slices"
	"testing"

	"github.com/latent-vae/latent/shapes"
)

// TestLoadShapes: "shapes" loads the generated set, split as a folder is,
// each image and label the ones ShapesSplit's index gives.
func TestLoadShapes(t *testing.T) {
	set, err := Load(Shapes, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if set.Train.N != 2700 || set.Test.N != 300 || set.Train.Channels != 3 || set.Train.Height != shapes.Side {
		t.Fatalf("got %d+%d images of %dx%dx%d, want 2700+300 of 32x32x3",
			set.Train.N, set.Test.N, set.Train.Height, set.Train.Width, set.Train.Channels)
	}
	if !slices.Equal(set.Classes, []string{"circle", "square"}) {
		t.Errorf("classes %v", set.Classes)
	}
	pixels, factors := shapes.Generate(shapes.Count, shapes.Seed)
	train, test := ShapesSplit(0, 3)
	for _, s := range []struct {
		split   *Split
		indices []int
	}{{set.Train, train}, {set.Test, test}} {
		for k, i := range s.indices {
			img := s.split.Pixels[k*shapes.Pixels : (k+1)*shapes.Pixels]
			if !bytes.Equal(img, pixels[i*shapes.Pixels:(i+1)*shapes.Pixels]) || s.split.Labels[k] != int(factors[i].Shape) {
				t.Fatalf("image %d of a split is not image %d of the set", k, i)
			}
		}
	}
	other, err := Load(Shapes, Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.Test.Pixels, set.Test.Pixels) {
		t.Error("split seeds 3 and 4 chose the same test images")
	}
	if _, err := Load(Shapes, Options{TestFraction: 1.5}); err == nil {
		t.Error("a test fraction of 1.5 was accepted")
	}
	if spec, err := AbsSpec(Shapes); err != nil || spec != Shapes {
		t.Errorf("AbsSpec(shapes) = %q, %v", spec, err)
	}
}
