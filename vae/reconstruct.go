package vae

import (
	"fmt"
	"image"
	"slices"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
)

// ReconMaxCols is the widest row of a reconstruction grid; more images
// wrap into further pairs of rows.
const ReconMaxCols = 16

// ReconGrid reconstructs the images of test (a split of set) at picked
// (each encoded and decoded with its label) and draws them in pairs of
// rows, originals (labelled input) above their reconstructions (recon),
// upscaled by scale; numbered, each column is captioned with its image's
// index and label.
func (s *Session) ReconGrid(set *data.Set, test *data.Split, picked []int, numbered bool, scale int) (image.Image, error) {
	sub := test.Pick(picked)
	originals := sub.Images()
	recons, err := s.Reconstruct(originals, sub.Labels)
	if err != nil {
		return nil, err
	}
	m := s.Model
	size := m.Height * m.Width * m.Channels
	cells, cols := ReconLayout(originals, recons, len(picked), size)
	if numbered {
		return numberedRecon(cells, set, sub, picked, cols, size, scale), nil
	}
	grid := generate.Grid(cells, len(cells)/size, m.Height, m.Width, m.Channels, cols, scale)
	rows := make([][]string, 0, 2*len(cells)/size/cols)
	for range len(cells) / size / cols / 2 {
		rows = append(rows, []string{"input"}, []string{"recon"})
	}
	return generate.Label(grid, m.Width*scale, m.Height*scale, generate.Labels{Rows: rows}), nil
}

// ReconCells is how many cells ReconLayout lays n images out in.
func ReconCells(n int) int {
	pairs := (n + ReconMaxCols - 1) / ReconMaxCols
	return 2 * pairs * ((n + pairs - 1) / pairs)
}

// ReconLayout arranges n originals and their reconstructions (size values
// each) into grid cells: pairs of rows, originals above reconstructions,
// with as few columns (at most ReconMaxCols) as keeps the number of pairs
// minimal. Cells left over in the last pair are mid grey, the colour of the
// grid's separators.
func ReconLayout(originals, recons []float32, n, size int) (cells []float32, cols int) {
	pairs := (n + ReconMaxCols - 1) / ReconMaxCols
	cols = (n + pairs - 1) / pairs
	blank := slices.Repeat([]float32{128.0 / 255}, size)
	for p := range pairs {
		for _, src := range [][]float32{originals, recons} {
			for i := p * cols; i < (p+1)*cols; i++ {
				if i < n {
					cells = append(cells, src[i*size:(i+1)*size]...)
				} else {
					cells = append(cells, blank...)
				}
			}
		}
	}
	return cells, cols
}

// ReconPick returns the indices of the n test images a reconstruction
// grid shows: the first n with first (or without labels), else the first
// of each class in turn (data.AcrossClasses).
func ReconPick(test *data.Split, n int, first bool) []int {
	if first || test.Labels == nil {
		picked := make([]int, n)
		for i := range picked {
			picked[i] = i
		}
		return picked
	}
	return data.AcrossClasses(test.Labels, n)
}

// numberedRecon draws ReconLayout's cells pair of rows by pair of rows,
// each column captioned with its test image's index (picked: sub's indices
// in the test split) and label.
func numberedRecon(cells []float32, set *data.Set, sub *data.Split, picked []int, cols, size, scale int) image.Image {
	var bands []generate.Band
	pairSize := 2 * cols * size
	for p := range len(cells) / pairSize {
		b := generate.Band{Images: cells[p*pairSize : (p+1)*pairSize], N: 2 * cols,
			Labels: generate.Labels{Rows: [][]string{{"input"}, {"recon"}}}}
		for i := p * cols; i < min((p+1)*cols, sub.N); i++ {
			b.Labels.Cols = append(b.Labels.Cols, fmt.Sprintf("%d:%s", picked[i], set.LabelName(sub.Labels[i])))
		}
		bands = append(bands, b)
	}
	return generate.StackBands(bands, sub.Height, sub.Width, sub.Channels, cols, scale)
}
