package generate

import "image"

// Frames turns rows of images (row-major: steps images of h×w×c values
// per row, NHWC in [0,1]) into one frame per step, each a grid of every
// row's image at that step in cols columns (0: Grid's default), upscaled
// by scale: the frames of an animation of several sweeps at once.
func Frames(images []float32, rows, steps, h, w, c, cols, scale int) []image.Image {
	size := h * w * c
	frames := make([]image.Image, steps)
	for t := range steps {
		cells := make([]float32, 0, rows*size)
		for r := range rows {
			i := r*steps + t
			cells = append(cells, images[i*size:(i+1)*size]...)
		}
		frames[t] = Grid(cells, rows, h, w, c, cols, scale)
	}
	return frames
}
