package data

import "math"

// Split is one split of an image set: NHWC float32 pixels in [0,1].
type Split struct {
	Images                     []float32 // N*Height*Width*Channels
	Labels                     []int     // N
	N, Height, Width, Channels int
}

// ImageSize returns the number of values in one image: Height*Width*Channels.
func (s *Split) ImageSize() int { return s.Height * s.Width * s.Channels }

// Image returns the i-th image's pixels, a subslice of s.Images.
func (s *Split) Image(i int) []float32 {
	size := s.ImageSize()
	return s.Images[i*size : (i+1)*size : (i+1)*size]
}

// Subset returns a split of the first n images (all of them if n exceeds
// N, none if n is negative). It shares its pixels and labels with s.
func (s *Split) Subset(n int) *Split {
	n = max(0, min(n, s.N))
	sub := *s
	sub.N = n
	sub.Images = s.Images[: n*s.ImageSize() : n*s.ImageSize()]
	sub.Labels = s.Labels[:n:n]
	return &sub
}

// MeanStd returns the mean and standard deviation of all pixel values.
func (s *Split) MeanStd() (mean, std float64) {
	if len(s.Images) == 0 {
		return 0, 0
	}
	var sum, sumSq float64
	for _, v := range s.Images {
		sum += float64(v)
		sumSq += float64(v) * float64(v)
	}
	n := float64(len(s.Images))
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
