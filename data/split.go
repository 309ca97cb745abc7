package data

import (
	"math"
	"math/bits"
)

// Split is one split of an image set: N images of Height×Width×Channels
// pixels, NHWC, stored as bytes, the byte v standing for the value v/255 in
// [0,1]. Bytes take a quarter of float32's memory; images are 8-bit.
//
// A split of binary images (sprites) may hold them in Bits instead, an
// eighth of bytes' memory: then Pixels is nil. Read the images through
// Image, AppendImage, Images and AppendPixels, which serve either.
type Split struct {
	Pixels []uint8 // N*Height*Width*Channels; nil when Bits holds the images
	// Bits holds binary images bit-packed in place of Pixels: PackedSize
	// bytes per image, its pixels in Pixels' order, 8 to a byte, most
	// significant bit first (numpy.packbits' order), a 1 standing for the
	// byte 255 (the value 1) and a 0 for 0. nil for 8-bit images.
	Bits                       []byte
	Labels                     []int // N
	N, Height, Width, Channels int
	// Files holds each image's file, relative to the folder, for image
	// folders; nil for IDX sets.
	Files []string
	// Factors holds each image's known factors of variation (sprites', or
	// an image folder's factors.csv); nil when the set has none.
	Factors *Factors
}

// ImageSize returns the number of values in one image: Height*Width*Channels.
func (s *Split) ImageSize() int { return s.Height * s.Width * s.Channels }

// PackedSize returns the bytes of one bit-packed image: ImageSize/8
// rounded up.
func (s *Split) PackedSize() int { return (s.ImageSize() + 7) / 8 }

// Image returns the i-th image's pixels in [0,1], newly allocated.
func (s *Split) Image(i int) []float32 { return s.AppendImage(nil, i) }

// AppendImage appends the i-th image's pixels in [0,1] to dst.
func (s *Split) AppendImage(dst []float32, i int) []float32 {
	if s.Bits != nil {
		return appendBits(dst, s.packed(i), s.ImageSize(), 0, 1)
	}
	size := s.ImageSize()
	return appendUnit(dst, s.Pixels[i*size:(i+1)*size])
}

// AppendPixels appends the i-th image's pixels as bytes (a binary image's
// as 0 and 255) to dst.
func (s *Split) AppendPixels(dst []uint8, i int) []uint8 {
	if s.Bits != nil {
		return appendBits(dst, s.packed(i), s.ImageSize(), 0, 255)
	}
	size := s.ImageSize()
	return append(dst, s.Pixels[i*size:(i+1)*size]...)
}

// Images returns every image's pixels in [0,1], back to back, newly allocated.
func (s *Split) Images() []float32 {
	if s.Bits != nil {
		out := make([]float32, 0, s.N*s.ImageSize())
		for i := range s.N {
			out = s.AppendImage(out, i)
		}
		return out
	}
	return appendUnit(make([]float32, 0, len(s.Pixels)), s.Pixels)
}

// packed returns the i-th image's bytes of Bits.
func (s *Split) packed(i int) []byte {
	size := s.PackedSize()
	return s.Bits[i*size : (i+1)*size]
}

// appendBits appends the first n bits of packed, most significant first,
// to dst: zero for a 0 bit and one for a 1.
func appendBits[T float32 | uint8](dst []T, packed []byte, n int, zero, one T) []T {
	for k := range n {
		if packed[k>>3]>>(7-k&7)&1 != 0 {
			dst = append(dst, one)
		} else {
			dst = append(dst, zero)
		}
	}
	return dst
}

// Subset returns a split of the first n images (all of them if n exceeds
// N, none if n is negative). It shares its pixels, labels, files and
// factors with s.
func (s *Split) Subset(n int) *Split {
	n = max(0, min(n, s.N))
	sub := *s
	sub.N = n
	if s.Bits != nil {
		sub.Bits = s.Bits[: n*s.PackedSize() : n*s.PackedSize()]
	} else {
		sub.Pixels = s.Pixels[: n*s.ImageSize() : n*s.ImageSize()]
	}
	sub.Labels = s.Labels[:n:n]
	if s.Files != nil {
		sub.Files = s.Files[:n:n]
	}
	sub.Factors = s.Factors.subset(n)
	return &sub
}

// Pick returns a split of the images at indices, in their order (an index
// may repeat), with their labels, files and factors: newly allocated.
func (s *Split) Pick(indices []int) *Split {
	out := &Split{N: len(indices), Height: s.Height, Width: s.Width, Channels: s.Channels}
	if s.Bits != nil {
		out.Bits = make([]byte, 0, len(indices)*s.PackedSize())
	} else {
		out.Pixels = make([]uint8, 0, len(indices)*s.ImageSize())
	}
	if s.Labels != nil {
		out.Labels = make([]int, 0, len(indices))
	}
	for _, i := range indices {
		if s.Bits != nil {
			out.Bits = append(out.Bits, s.packed(i)...)
		} else {
			out.Pixels = s.AppendPixels(out.Pixels, i)
		}
		if s.Labels != nil {
			out.Labels = append(out.Labels, s.Labels[i])
		}
		if s.Files != nil {
			out.Files = append(out.Files, s.Files[i])
		}
	}
	out.Factors = s.Factors.pick(indices)
	return out
}

// MeanStd returns the mean and standard deviation of all pixel values.
func (s *Split) MeanStd() (mean, std float64) {
	if s.Bits != nil {
		return s.bitsMeanStd()
	}
	if len(s.Pixels) == 0 {
		return 0, 0
	}
	var counts [256]int
	for _, v := range s.Pixels {
		counts[v]++
	}
	var sum, sumSq float64
	for v, c := range counts {
		x := float64(v) / 255
		sum += float64(c) * x
		sumSq += float64(c) * x * x
	}
	n := float64(len(s.Pixels))
	mean = sum / n
	return mean, math.Sqrt(max(0, sumSq/n-mean*mean))
}

// bitsMeanStd is MeanStd of a bit-packed split: the share p of ones, and
// sqrt(p(1-p)). The bits that pad an image to whole bytes are not counted.
func (s *Split) bitsMeanStd() (mean, std float64) {
	size := s.ImageSize()
	if s.N == 0 || size == 0 {
		return 0, 0
	}
	ones := 0
	for i := range s.N {
		p := s.packed(i)
		for _, b := range p[:size/8] {
			ones += bits.OnesCount8(b)
		}
		if r := size % 8; r != 0 {
			ones += bits.OnesCount8(p[size/8] >> (8 - r))
		}
	}
	mean = float64(ones) / float64(s.N*size)
	return mean, math.Sqrt(mean * (1 - mean))
}

// LabelCounts returns how many images carry each label, indexed by label,
// with at least numClasses entries.
func (s *Split) LabelCounts(numClasses int) []int {
	counts := make([]int, numClasses)
	for _, l := range s.Labels {
		for l >= len(counts) {
			counts = append(counts, 0)
		}
		counts[l]++
	}
	return counts
}

// Quantize returns the byte that stands for v in [0,1] (clamped), rounded
// to the nearest of the 256 levels.
func Quantize(v float32) uint8 {
	return uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
}

// appendUnit appends the values of bytes in [0,1] to dst.
func appendUnit(dst []float32, bytes []uint8) []float32 {
	table := byteToUnit()
	for _, b := range bytes {
		dst = append(dst, table[b])
	}
	return dst
}
