package data

import "github.com/latent-vae/latent/shapes"

// Shapes names the generated colour set: package shapes' Count RGB images
// of Side×Side pixels, a flat-coloured circle or square on a flat
// background, drawn from shapes.Seed, so every machine gets the same
// images. The classes are the shapes; Options.TestFraction and
// Options.Seed split it as they split an image folder.
const Shapes = "shapes"

// loadShapes generates the shapes set and splits it.
func loadShapes(opt Options) (*Set, error) {
	opt, err := folderOptions(opt)
	if err != nil {
		return nil, err
	}
	pixels, factors := shapes.Generate(shapes.Count, shapes.Seed)
	all := &Split{Pixels: pixels, Labels: make([]int, len(factors)), N: len(factors),
		Height: shapes.Side, Width: shapes.Side, Channels: shapes.Channels}
	for i, f := range factors {
		all.Labels[i] = int(f.Shape)
	}
	set := &Set{Name: Shapes, Classes: shapes.ClassNames()}
	train, test := ShapesSplit(opt.TestFraction, opt.Seed)
	set.Train, set.Test = all.Pick(train), all.Pick(test)
	return set, nil
}

// ShapesSplit returns the indices into shapes.Generate(shapes.Count,
// shapes.Seed) of the shapes set's train and test images for a test
// fraction (0: the default 0.1) and split seed, so a caller can find each
// image's factors.
func ShapesSplit(testFraction float64, seed int64) (train, test []int) {
	if testFraction == 0 {
		testFraction = 0.1
	}
	return splitIndices(shapes.Count, testFraction, seed)
}
