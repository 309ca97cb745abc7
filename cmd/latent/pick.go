package main

import (
	"github.com/spf13/pflag"
)

// Picking test images by class: the flags that name an image by its label
// (the first test image of a class, or the n-th with --which) instead of
// by its index.

// whichFlag defines --which: which image of a class a label flag picks.
func whichFlag(fs *pflag.FlagSet) *int {
	return fs.Int("which", 0, "with a label flag: pick the n-th test image of the class (0: the first)")
}

// imageLabelFlag defines --image-label: what (such as "the query") is the
// first test image of a class instead of the one --index names.
func imageLabelFlag(fs *pflag.FlagSet, what string) *string {
	return fs.String("image-label", "", what+": the first test image of this class, a name or label (the n-th with --which), instead of --index")
}

// labelFlag defines --label: the class a conditional run generates.
func labelFlag(fs *pflag.FlagSet, what string) *string {
	return fs.String("label", "", what+", for a run trained with --conditional: a class name or index (e.g. 7)")
}
