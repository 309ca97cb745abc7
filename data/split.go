package data

import "math"

// Split is one split of an image set: N images of Height×Width×Channels
// pixels, NHWC, stored as bytes, the byte v standing for the value v/255 in
// [0,1]. Bytes take a quarter of float32's memory; images are 8-bit.
type Split struct {
	Pixels                     []uint8 // N*Height*Width*Channels
	Labels                     []int   // N
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

// Image returns the i-th image's pixels in [0,1], newly allocated.
func (s *Split) Image(i int) []float32 { return s.AppendImage(nil, i) }

// AppendImage appends the i-th image's pixels in [0,1] to dst.
func (s *Split) AppendImage(dst []float32, i int) []float32 {
	size := s.ImageSize()
	return appendUnit(dst, s.Pixels[i*size:(i+1)*size])
}

// Images returns every image's pixels in [0,1], back to back, newly allocated.
func (s *Split) Images() []float32 { return appendUnit(make([]float32, 0, len(s.Pixels)), s.Pixels) }

// Subset returns a split of the first n images (all of them if n exceeds
// N, none if n is negative). It shares its pixels, labels, files and
// factors with s.
func (s *Split) Subset(n int) *Split {
	n = max(0, min(n, s.N))
	sub := *s
	sub.N = n
	sub.Pixels = s.Pixels[: n*s.ImageSize() : n*s.ImageSize()]
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
	size := s.ImageSize()
	out := &Split{Pixels: make([]uint8, 0, len(indices)*size), N: len(indices),
		Height: s.Height, Width: s.Width, Channels: s.Channels}
	if s.Labels != nil {
		out.Labels = make([]int, 0, len(indices))
	}
	for _, i := range indices {
		out.Pixels = append(out.Pixels, s.Pixels[i*size:(i+1)*size]...)
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
