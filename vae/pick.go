package vae

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/latent-vae/latent/data"
)

// ClassIndex returns the label that value names among classes: a class
// name, else a label number. flag names the flag in the *ArgError of a
// value that names no class.
func ClassIndex(classes []string, flag, value string) (int, error) {
	if i := slices.Index(classes, value); i >= 0 {
		return i, nil
	}
	i, err := strconv.Atoi(value)
	if err != nil || i < 0 || i >= max(len(classes), 1) {
		return 0, argErrorf("%s %s: not a class of the data set: want one of %s (or a label 0 to %d)",
			flag, value, ClassList(classes), max(len(classes), 1)-1)
	}
	return i, nil
}

// PickByLabel returns the index in test of the which-th image (0: the
// first) whose label is the class value names; flag names the label flag
// in errors, which are *ArgErrors, --which past the class's images too.
func PickByLabel(test *data.Split, classes []string, flag, value string, which int) (int, error) {
	label, err := ClassIndex(classes, flag, value)
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
		return 0, argErrorf("%s %s --which %d: the test split holds no image of class %s", flag, value, which, value)
	}
	return 0, argErrorf("%s %s --which %d: the test split holds %d images of class %s (--which 0 to %d)",
		flag, value, which, seen, value, seen-1)
}

// ImageName says which test image of set index is: "test image 18 (label 3)".
func ImageName(set *data.Set, index int) string {
	return fmt.Sprintf("test image %d (label %s)", index, set.LabelName(set.Test.Labels[index]))
}

// CheckImagePick checks that --image-label, --index and --which of the
// flags given (by name) go together; their values are the options' to
// check.
func CheckImagePick(given map[string]bool) error {
	switch {
	case given["image-label"] && given["index"]:
		return argErrorf("--index and --image-label both choose the image: give one")
	case given["which"] && !given["image-label"]:
		return argErrorf("--which picks among a class's images: give --image-label")
	}
	return nil
}
