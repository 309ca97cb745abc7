package sprites

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// WriteGrid renders the images with the given factor values, one cell
// each, cols cells to a row, and writes them to path as a grey PNG, each
// pixel drawn zoom×zoom, the cells parted by grey lines that mark the
// frame's edge. It is for looking at the sprites.
func WriteGrid(path string, cells [][]int, cols, zoom int) error {
	if len(cells) == 0 || cols < 1 || zoom < 1 {
		return fmt.Errorf("writing %s: %d cells, %d columns, zoom %d", path, len(cells), cols, zoom)
	}
	rows := (len(cells) + cols - 1) / cols
	cell := Side*zoom + 2
	img := image.NewGray(image.Rect(0, 0, cols*cell+2, rows*cell+2))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	pixels := make([]byte, Pixels)
	for k, values := range cells {
		if err := Render(values, pixels); err != nil {
			return fmt.Errorf("writing %s: cell %d: %w", path, k, err)
		}
		x0, y0 := (k%cols)*cell+2, (k/cols)*cell+2
		for p, v := range pixels {
			for d := range zoom * zoom {
				x, y := x0+(p%Side)*zoom+d%zoom, y0+(p/Side)*zoom+d/zoom
				img.SetGray(x, y, color.Gray{Y: 255 * v})
			}
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}
