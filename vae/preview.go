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
