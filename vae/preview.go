package vae

import (
	"fmt"
	"image"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
)

// PreviewGrid draws the images of sp, a split of set, at indices, 8 a row
// upscaled 3 times, as `latent data -o` shows them; numbered, each is
// captioned with its index and label.
func PreviewGrid(set *data.Set, sp *data.Split, indices []int, numbered bool) image.Image {
	const cols, scale = 8, 3
	var images []float32
	for _, i := range indices {
		images = sp.AppendImage(images, i)
	}
	if !numbered {
		return generate.Grid(images, len(indices), sp.Height, sp.Width, sp.Channels, cols, scale)
	}
	captions := make([]string, len(indices))
	for k, i := range indices {
		captions[k] = fmt.Sprintf("%d:%s", i, set.LabelName(sp.Labels[i]))
	}
	return generate.CaptionedGrid(images, captions, sp.Height, sp.Width, sp.Channels, cols, scale)
}

// PreviewImages is how many images `latent data -o` shows at most.
const PreviewImages = 64

// CheckSplit checks a --split value: train or test.
func CheckSplit(split string) error {
	if split != "train" && split != "test" {
		return argErrorf("--split %q: want train or test", split)
	}
	return nil
}

// SplitOf returns set's split that split (train or test) names, and its
// name as the summaries say it ("training" or "test").
func SplitOf(set *data.Set, split string) (*data.Split, string) {
	if split == "test" {
		return set.Test, "test"
	}
	return set.Train, "training"
}

// Preview draws the preview of sp, a split of set, as `latent data -o`
// shows it (PreviewGrid): up to PreviewImages images, the first of each
// class in turn (data.AcrossClasses). It returns the grid and how many
// images it shows.
func Preview(set *data.Set, sp *data.Split, numbered bool) (image.Image, int) {
	picked := data.AcrossClasses(sp.Labels, min(PreviewImages, sp.N))
	return PreviewGrid(set, sp, picked, numbered), len(picked)
}
