package vae

import (
	"fmt"

	"github.com/latent-vae/latent/data"
)

// Endpoints chooses the endpoints of interpolations: two image files
// (Files), test images by index or class (Indexed), else codes drawn from
// a prior, Pairs pairs of them.
type Endpoints struct {
	Pairs int
	// Files: the images in the files From and To, encoded as Label.
	Files    bool
	From, To string
	// Indexed: pair k runs from test image FromIndex+k to ToIndex+k, or,
	// by class, from the (Which+k)-th test image of FromLabel to that of
	// ToLabel; Data is their data set ("": the run's).
	Indexed            bool
	FromIndex, ToIndex int
	FromLabel, ToLabel string
	Which              int
	Data               string
	// Drawn endpoints: from Prior, with its steps, seed and temperature.
	Prior       string
	PriorSteps  int
	Seed        int64
	Temperature float64
	// Label is the class (a --label value) every frame is decoded as.
	Label string
}

// InterpolationEnds returns the endpoints e chooses (codes 2k and 2k+1
// are pair k's start and end) and, for a conditional run, the class each
// pair is decoded as: e.Label, else the start image's label of indexed
// endpoints. Image files are encoded as e.Label; drawn endpoints and files
// of a conditional run need it. A vq run's endpoints are grids of vectors:
// an image's before quantisation, a drawn grid's codebook vectors.
func (s *Session) InterpolationEnds(e Endpoints) ([][]float32, []int, error) {
	m := s.Model
	d, err := s.pathSize()
	if err != nil {
		return nil, nil, err
	}
	label, haveLabel, err := s.Label(e.Label)
	if err != nil {
		return nil, nil, err
	}
	if m.Conditional() && !haveLabel && !e.Indexed {
		return nil, nil, s.NeedLabel("the frames")
	}
	var codes []float32
	var pairLabels []int
	switch {
	case e.Files:
		var images []float32
		for i, path := range []string{e.From, e.To} {
			img, err := data.ReadImageFile(path, m.Height, m.Width, m.Channels)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", []string{"--from", "--to"}[i], err)
			}
			images = append(images, img...)
		}
		if codes, err = s.pathEncode(images, RepeatLabel(label, 2)); err != nil {
			return nil, nil, err
		}
	case e.Indexed:
		if codes, pairLabels, err = s.indexEnds(e); err != nil {
			return nil, nil, err
		}
	default:
		var labels []int
		if haveLabel {
			labels = RepeatLabel(label, 2*e.Pairs)
		}
		if codes, _, err = s.Sample(e.Prior, e.PriorSteps, 2*e.Pairs, e.Seed, e.Temperature, labels); err != nil {
			return nil, nil, err
		}
		if codes, err = s.pathPoints(codes); err != nil {
			return nil, nil, err
		}
	}
	if haveLabel {
		pairLabels = RepeatLabel(label, e.Pairs)
	}
	ends := make([][]float32, 2*e.Pairs)
	for i := range ends {
		ends[i] = codes[i*d : (i+1)*d]
	}
	return ends, pairLabels, nil
}

// indexEnds encodes the test images of indexed endpoints, each with its
// label, and returns their codes and the label of each pair's start image
// (which an unconditional model ignores). Endpoints chosen by class are
// named on the session's Log.
func (s *Session) indexEnds(e Endpoints) ([]float32, []int, error) {
	set, err := s.TestSet(e.Data)
	if err != nil {
		return nil, nil, err
	}
	test := set.Test
	ends := [2][]int{}
	for end, f := range []struct {
		name, byLabel, label string
		index                int
	}{{"--from-index", "--from-label", e.FromLabel, e.FromIndex}, {"--to-index", "--to-label", e.ToLabel, e.ToIndex}} {
		for k := range e.Pairs {
			i := f.index + k
			if f.label != "" {
				if i, err = PickByLabel(test, set.Classes, f.byLabel, f.label, e.Which+k); err != nil {
					return nil, nil, err
				}
			} else if i >= test.N {
				return nil, nil, fmt.Errorf("%s %d: out of range, the test split has %d images (0 to %d)%s",
					f.name, f.index, test.N, test.N-1, pairsNote(e.Pairs))
			}
			ends[end] = append(ends[end], i)
		}
	}
	var images []float32
	var labels, starts []int
	for k := range e.Pairs {
		i, j := ends[0][k], ends[1][k]
		images = append(append(images, test.Image(i)...), test.Image(j)...)
		labels, starts = append(labels, test.Labels[i], test.Labels[j]), append(starts, test.Labels[i])
	}
	if e.FromLabel != "" || e.ToLabel != "" {
		fmt.Fprintf(s.Log, "from %s to %s\n", ImageName(set, ends[0][0]), ImageName(set, ends[1][0]))
	}
	codes, err := s.pathEncode(images, labels) // an unconditional model ignores labels
	return codes, starts, err
}

// pairsNote explains the index range more than one pair needs.
func pairsNote(pairs int) string {
	if pairs == 1 {
		return ""
	}
	return fmt.Sprintf("; --pairs %d uses it and the %d after it", pairs, pairs-1)
}
