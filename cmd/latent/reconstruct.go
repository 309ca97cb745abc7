package main

import (
	"fmt"
	"image"
	"io"
	"slices"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
)

// reconMaxCols is the widest row `latent reconstruct` draws; more images
// wrap into further pairs of rows.
const reconMaxCols = 16

// runReconstruct implements `latent reconstruct`: test images over their
// reconstructions (encoder mean, decoded, mean image).
func runReconstruct(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reconstruct", "--run DIR [--data SET] [-n 32] [--first] [--numbers] [-o recon.png] [--scale 3] [--backend B]", stderr)
	common := genFlags(fs, "recon.png")
	spec := runDataFlag(fs, "data set whose test images to reconstruct")
	n := fs.Int("n", 32, "number of test images, the first of each class in turn (as latent data -o shows); more than 16 wrap into further pairs of rows")
	first := fs.Bool("first", false, "take the first -n images of the test split instead of picking across its classes")
	numbers := fs.Bool("numbers", false, "caption each column with its test image's index and label (index:label)")
	if err := parseGenFlags(fs, args, common); err != nil {
		return err
	}
	if err := checkCount("-n", *n); err != nil {
		return err
	}
	s, err := openSession(*common.run, *common.backend, stderr)
	if err != nil {
		return err
	}
	defer s.Close()
	set, err := s.TestSet(*spec)
	if err != nil {
		return err
	}
	test := set.Test
	if *n > test.N {
		return fmt.Errorf("-n %d: the test split has only %d images", *n, test.N)
	}
	picked := reconPick(test, *n, *first)
	sub := test.Pick(picked)
	originals := sub.Images()
	recons, err := s.Reconstruct(originals, sub.Labels) // a conditional model encodes and decodes each with its label
	if err != nil {
		return err
	}
	m := s.cfg
	size := m.Height * m.Width * m.Channels
	cells, cols := reconLayout(originals, recons, *n, size)
	if err := checkGridSize(len(cells)/size, m.Height, m.Width, *common.scale, "-n and --scale"); err != nil {
		return err
	}
	var img image.Image
	if *numbers {
		img = numberedRecon(cells, set, sub, picked, cols, size, *common.scale)
	} else {
		grid := generate.Grid(cells, len(cells)/size, m.Height, m.Width, m.Channels, cols, *common.scale)
		rows := make([][]string, 0, 2*len(cells)/size/cols)
		for range len(cells) / size / cols / 2 {
			rows = append(rows, []string{"input"}, []string{"recon"})
		}
		img = generate.Label(grid, m.Width**common.scale, m.Height**common.scale, generate.Labels{Rows: rows})
	}
	if err := writePNG(*common.out, stdout, img); err != nil {
		return err
	}
	fmt.Fprintf(summaryTo(*common.out, stdout, stderr), "wrote %s: %d test images (%s; rows labelled input) over their reconstructions (recon), %dx%d pixels\n",
		outName(*common.out), *n, reconPicking(*first), img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// reconLayout arranges n originals and their reconstructions (size values
// each) into grid cells: pairs of rows, originals above reconstructions,
// with as few columns (at most reconMaxCols) as keeps the number of pairs
// minimal. Cells left over in the last pair are mid grey, the colour of the
// grid's separators.
func reconLayout(originals, recons []float32, n, size int) (cells []float32, cols int) {
	pairs := (n + reconMaxCols - 1) / reconMaxCols
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

// reconPick returns the indices of the n test images reconstruct shows:
// the first n with first (or without labels), else the first of each class
// in turn, as latent data -o picks them.
func reconPick(test *data.Split, n int, first bool) []int {
	if first || test.Labels == nil {
		picked := make([]int, n)
		for i := range picked {
			picked[i] = i
		}
		return picked
	}
	return data.AcrossClasses(test.Labels, n)
}

// reconPicking says how reconPick picked.
func reconPicking(first bool) string {
	if first {
		return "the first of the test split"
	}
	return "the first of each class in turn; --first: the first of the split"
}

// numberedRecon draws reconLayout's cells pair of rows by pair of rows,
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
