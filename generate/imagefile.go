package generate

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // registers the GIF decoder
	_ "image/jpeg"
	_ "image/png"
	"os"

	"golang.org/x/image/draw"
)

// maxFilePixels bounds the width×height of an image file read by
// LoadImage, as the data package bounds images in folders.
const maxFilePixels = 1 << 25

// LoadImage reads a PNG, JPEG or GIF file and converts it as image folders
// are converted for training: transparent pixels composited over black,
// stretched to w×h by Catmull-Rom when its size differs, and made grey (ITU-R
// 601 luma) or RGB for c = 1 or 3. It returns h*w*c values in [0, 1], HWC.
func LoadImage(path string, h, w, c int) ([]float32, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxFilePixels {
		return nil, fmt.Errorf("decoding %s: a %dx%d image is empty or larger than %d pixels",
			path, cfg.Width, cfg.Height, maxFilePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return imagePixels(img, h, w, c), nil
}

// imagePixels resizes img to w×h and returns its HWC pixels with c channels.
func imagePixels(img image.Image, h, w, c int) []float32 {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if b.Dx() == w && b.Dy() == h {
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	} else {
		draw.CatmullRom.Scale(dst, dst.Rect, img, b, draw.Src, nil)
	}
	out := make([]float32, 0, h*w*c)
	for i := 0; i < len(dst.Pix); i += 4 {
		r, g, b := float32(dst.Pix[i]), float32(dst.Pix[i+1]), float32(dst.Pix[i+2])
		if c == 1 {
			out = append(out, (19595*r+38470*g+7471*b)/(65536*255)) // color.GrayModel's weights
		} else {
			out = append(out, r/255, g/255, b/255)
		}
	}
	return out
}
