package generate

import (
	"image"
	"math"
)

// CaptionedGrid draws images (NHWC in [0,1], h×w×c each, one per caption)
// in rows of cols, upscaled by scale, each captioned above with its text
// (such as index:label): a band of StackBands per row.
func CaptionedGrid(images []float32, captions []string, h, w, c, cols, scale int) image.Image {
	size := h * w * c
	var bands []Band
	for r := 0; r < len(captions); r += cols {
		row := captions[r:min(r+cols, len(captions))]
		bands = append(bands, Band{Images: images[r*size : (r+len(row))*size], N: len(row),
			Labels: Labels{Cols: row}})
	}
	return StackBands(bands, h, w, c, cols, scale)
}

// GridCols is the number of columns of a grid of n images: the smallest
// divisor of n at least √n, so that every row is full (8: 4×2, 32: 8×4),
// unless that is wider than twice ⌈√n⌉ (a prime such as 7); then ⌈√n⌉, the
// last row part empty.
func GridCols(n int) int {
	side := int(math.Ceil(math.Sqrt(float64(n))))
	for d := side; d <= min(n, 2*side); d++ {
		if n%d == 0 && d*d >= n {
			return d
		}
	}
	return max(side, 1)
}
