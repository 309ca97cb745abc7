package main

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/vae"
)

// Picking test images by class: the flags that name an image by its label
// (the first test image of a class, or the n-th with --which) instead of
// by its index.

// whichFlag defines --which: which image of a class a label flag picks.
func whichFlag(fs *pflag.FlagSet) *int {
	return fs.Int("which", 0, "with a label flag: pick the n-th test image of the class (0: the first)")
}

// classIndex returns the label that value names among classes: a class
// name, else a label number. flag names the flag in errors.
func classIndex(classes []string, flag, value string) (int, error) {
	if i := slices.Index(classes, value); i >= 0 {
		return i, nil
	}
	i, err := strconv.Atoi(value)
	if err != nil || i < 0 || i >= max(len(classes), 1) {
		return 0, usagef("%s %s: not a class of the data set: want one of %s (or a label 0 to %d)",
			flag, value, vae.ClassList(classes), max(len(classes), 1)-1)
	}
	return i, nil
}

// pickByLabel returns the index in test of the which-th image (0: the
// first) whose label is the class value names; flag names the label flag
// in errors, which are usage errors (exit 2), --which past the class's
// images too.
func pickByLabel(test *data.Split, classes []string, flag, value string, which int) (int, error) {
	label, err := classIndex(classes, flag, value)
	if err != nil {
		return 0, err
	}
	seen := 0
	for i, l := range test.Labels {
		if l != label {
			continue
		}
		if seen == which {
			return i, nil
		}
		seen++
	}
	if seen == 0 {
		return 0, usagef("%s %s --which %d: the test split holds no image of class %s", flag, value, which, value)
	}
	return 0, usagef("%s %s --which %d: the test split holds %d images of class %s (--which 0 to %d)",
		flag, value, which, seen, value, seen-1)
}

// checkWhich checks --which.
func checkWhich(which int) error {
	if which < 0 {
		return usagef("--which %d: want ≥ 0", which)
	}
	return nil
}

// imageName says which test image index is: "test image 18 (label 3)".
func imageName(set *data.Set, index int) string {
	return fmt.Sprintf("test image %d (label %s)", index, labelName(set, set.Test.Labels[index]))
}

// imageLabelFlag defines --image-label: what (such as "the query") is the
// first test image of a class instead of the one --index names.
func imageLabelFlag(fs *pflag.FlagSet, what string) *string {
	return fs.String("image-label", "", what+": the first test image of this class, a name or label (the n-th with --which), instead of --index")
}

// checkImagePick checks --image-label, --index and --which of the flags
// given (set).
func checkImagePick(set map[string]bool, which int) error {
	switch {
	case set["image-label"] && set["index"]:
		return usagef("--index and --image-label both choose the image: give one")
	case set["which"] && !set["image-label"]:
		return usagef("--which picks among a class's images: give --image-label")
	}
	return checkWhich(which)
}
