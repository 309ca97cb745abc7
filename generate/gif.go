package generate

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"math"
	"slices"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// MaxFPS is the highest frame rate a GIF can express: its delays count
// hundredths of a second.
const MaxFPS = 100

// Delay is the GIF frame delay, in hundredths of a second, closest to fps
// frames per second (at least 1).
func Delay(fps int) int { return max(1, int(math.Round(100/float64(fps)))) }

// PingPong returns frames played forward then back without repeating the
// ends: f0..fN-1, fN-2..f1, so that looping it has no jump.
func PingPong[T any](frames []T) []T {
	out := slices.Clone(frames)
	for i := len(frames) - 2; i >= 1; i-- {
		out = append(out, frames[i])
	}
	return out
}

// EncodeGIF writes frames as an animated GIF, each shown for delay
// hundredths of a second, with image/gif's loopCount (0: loop forever, -1:
// play once, n: play n+1 times). All frames
// must have the same bounds. Grey frames (every pixel has r = g = b) use a
// 256-level grey palette, so every level is kept exactly; colour frames
// share one palette made by Palette from all frames' pixels, mapped to the
// nearest palette colour without dithering (which would flicker from frame
// to frame).
func EncodeGIF(w io.Writer, frames []image.Image, delay, loopCount int) error {
	if len(frames) == 0 {
		return errors.New("GIF: no frames")
	}
	bounds := frames[0].Bounds()
	pix := make([][]uint8, len(frames))
	for i, f := range frames {
		if f.Bounds() != bounds {
			return fmt.Errorf("GIF: frame %d is %v, frame 0 is %v", i, f.Bounds(), bounds)
		}
		pix[i] = rgbPixels(f)
	}
	pal := Palette(pix)
	anim := &gif.GIF{LoopCount: loopCount,
		Config: image.Config{ColorModel: pal, Width: bounds.Dx(), Height: bounds.Dy()}}
	m := newMapper(pal)
	for _, p := range pix {
		frame := image.NewPaletted(image.Rect(0, 0, bounds.Dx(), bounds.Dy()), pal)
		for j := range frame.Pix {
			frame.Pix[j] = m.index(p[3*j], p[3*j+1], p[3*j+2])
		}
		anim.Image = append(anim.Image, frame)
		anim.Delay = append(anim.Delay, delay)
	}
	return gif.EncodeAll(w, anim)
}

// WriteGIF writes frames to path as EncodeGIF does, at fps frames per
// second, looping forever, atomically.
func WriteGIF(path string, frames []image.Image, fps int) error {
	if fps < 1 || fps > MaxFPS {
		return fmt.Errorf("writing %s: %d frames per second: want 1 to %d", path, fps, MaxFPS)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return EncodeGIF(w, frames, Delay(fps), 0) })
}

// rgbPixels returns img's pixels as packed 8-bit R, G, B, row by row.
func rgbPixels(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, 3*b.Dx()*b.Dy())
	switch m := img.(type) {
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for _, v := range m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)] {
				out = append(out, v, v, v)
			}
		}
		return out
	case *image.RGBA:
		if m.Opaque() { // premultiplied colours equal the straight ones
			for y := b.Min.Y; y < b.Max.Y; y++ {
				row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
				for x := 0; x < len(row); x += 4 {
					out = append(out, row[x], row[x+1], row[x+2])
				}
			}
			return out
		}
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out
}

// Palette returns the palette for frames of packed RGB pixels: the 256 grey
// levels when every pixel is grey; else the distinct colours themselves
// when there are at most 256 of them; else 256 colours by median cut over
// all frames' pixels. The result depends only on the pixels.
func Palette(frames [][]uint8) color.Palette {
	hist := map[uint32]int{}
	grey := true
	for _, p := range frames {
		for i := 0; i < len(p); i += 3 {
			hist[uint32(p[i])<<16|uint32(p[i+1])<<8|uint32(p[i+2])]++
			grey = grey && p[i] == p[i+1] && p[i] == p[i+2]
		}
	}
	if grey {
		pal := make(color.Palette, 256)
		for i := range pal {
			pal[i] = color.Gray{uint8(i)}
		}
		return pal
	}
	entries := make([]colorCount, 0, len(hist))
	for c, n := range hist {
		entries = append(entries, colorCount{[3]uint8{uint8(c >> 16), uint8(c >> 8), uint8(c)}, n})
	}
	slices.SortFunc(entries, func(a, b colorCount) int { return cmpRGB(a.rgb, b.rgb) })
	return medianCut(entries, 256)
}

// colorCount is a colour and how many pixels have it.
type colorCount struct {
	rgb [3]uint8
	n   int
}

func cmpRGB(a, b [3]uint8) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
}

// medianCut reduces entries (sorted, distinct) to at most size colours:
// while there are fewer boxes than size, the box with the widest channel
// range is sorted along that channel and split at its pixel-weighted
// median; each box's colour is its pixel-weighted mean. With no more
// entries than size every colour is kept exactly.
func medianCut(entries []colorCount, size int) color.Palette {
	type box struct {
		entries   []colorCount
		ch, width int // the widest channel and its range
	}
	newBox := func(e []colorCount) box {
		ch, w := widestChannel(e)
		return box{e, ch, w}
	}
	boxes := []box{newBox(entries)}
	for len(boxes) < size {
		best := -1
		for i, b := range boxes {
			if b.width > 0 && (best < 0 || b.width > boxes[best].width) {
				best = i
			}
		}
		if best < 0 {
			break // every box holds one colour
		}
		lo, hi := splitBox(boxes[best].entries, boxes[best].ch)
		boxes[best] = newBox(lo)
		boxes = append(boxes, newBox(hi))
	}
	pal := make(color.Palette, len(boxes))
	for i, b := range boxes {
		pal[i] = meanColor(b.entries)
	}
	return pal
}

// widestChannel returns the channel with the largest value range in box and
// that range.
func widestChannel(box []colorCount) (ch, width int) {
	for c := range 3 {
		lo, hi := 255, 0
		for _, e := range box {
			lo, hi = min(lo, int(e.rgb[c])), max(hi, int(e.rgb[c]))
		}
		if hi-lo > width {
			ch, width = c, hi-lo
		}
	}
	return ch, width
}

// splitBox sorts box along channel ch and splits it at its pixel-weighted
// median into two non-empty boxes.
func splitBox(box []colorCount, ch int) (lo, hi []colorCount) {
	slices.SortFunc(box, func(a, b colorCount) int {
		return cmp.Or(cmp.Compare(a.rgb[ch], b.rgb[ch]), cmpRGB(a.rgb, b.rgb))
	})
	total := 0
	for _, e := range box {
		total += e.n
	}
	cut, seen := 1, box[0].n
	for cut < len(box)-1 && 2*seen < total {
		seen += box[cut].n
		cut++
	}
	return box[:cut:cut], box[cut:]
}

// meanColor is the pixel-weighted mean colour of box, rounded.
func meanColor(box []colorCount) color.RGBA {
	var sum [3]float64
	total := 0.0
	for _, e := range box {
		for c := range 3 {
			sum[c] += float64(e.n) * float64(e.rgb[c])
		}
		total += float64(e.n)
	}
	return color.RGBA{uint8(math.Round(sum[0] / total)), uint8(math.Round(sum[1] / total)),
		uint8(math.Round(sum[2] / total)), 255}
}

// mapper finds the nearest palette entry of a colour, remembering answers.
type mapper struct {
	pal   [][3]int
	cache map[uint32]uint8
}

func newMapper(pal color.Palette) *mapper {
	m := &mapper{cache: map[uint32]uint8{}}
	for _, c := range pal {
		r, g, b, _ := c.RGBA()
		m.pal = append(m.pal, [3]int{int(r >> 8), int(g >> 8), int(b >> 8)})
	}
	return m
}

// index returns the index of the palette colour nearest (r, g, b) in
// squared RGB distance, the first on ties.
func (m *mapper) index(r, g, b uint8) uint8 {
	key := uint32(r)<<16 | uint32(g)<<8 | uint32(b)
	if i, ok := m.cache[key]; ok {
		return i
	}
	best, bestDist := 0, math.MaxInt
	for i, p := range m.pal {
		dr, dg, db := p[0]-int(r), p[1]-int(g), p[2]-int(b)
		if d := dr*dr + dg*dg + db*db; d < bestDist {
			best, bestDist = i, d
		}
	}
	m.cache[key] = uint8(best)
	return uint8(best)
}
