package vae

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/generate"
)

// GridTraverseBases is how many base grids a vq run's traversal has, one
// row each: consecutive test images from --index, or grids drawn with
// --seed.
const GridTraverseBases = 4

// GridCell is a cell of a vq run's code grid.
type GridCell struct{ Row, Col int }

// ParseCell parses a --cell value "ROW,COL" (from 0) of an h×w grid; ""
// is the centre cell.
func ParseCell(v string, h, w int) (GridCell, error) {
	if v == "" {
		return GridCell{h / 2, w / 2}, nil
	}
	r, c, ok := strings.Cut(v, ",")
	row, err1 := strconv.Atoi(strings.TrimSpace(r))
	col, err2 := strconv.Atoi(strings.TrimSpace(c))
	if !ok || err1 != nil || err2 != nil {
		return GridCell{}, argErrorf("--cell %q: want ROW,COL, such as 3,3", v)
	}
	if row < 0 || row >= h || col < 0 || col >= w {
		return GridCell{}, argErrorf("--cell %q: out of the %d×%d grid (rows 0 to %d, columns 0 to %d)", v, h, w, h-1, w-1)
	}
	return GridCell{row, col}, nil
}

// CodesByUse returns the codes 0 to k−1 ordered by how often indices (a
// split's grids, as float32) use them, the most used first, ties by code.
func CodesByUse(indices []float32, k int) []int {
	counts := make([]int, k)
	for _, v := range indices {
		if i := int(v); i >= 0 && i < k {
			counts[i]++
		}
	}
	codes := make([]int, k)
	for i := range codes {
		codes[i] = i
	}
	slices.SortStableFunc(codes, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })
	return codes
}

// gridSweep is Sweep on a vq run: for o.Cell (the centre by default), each
// of GridTraverseBases base grids (test images from o.Base.Index, or grids
// drawn with o.Base.Seed) decoded with that cell set to each of o.Steps
// codes, one row per base: by default (OrderUse) the codes the test split
// uses most (at any cell, the most used first), or with OrderIndex codes
// 0, 1, … (gridOrder). The codes of a grid have no order to sweep along,
// so there is no range: Span is 0, and a --range given is refused.
func (s *Session) gridSweep(o TraverseOptions) (*Traversal, error) {
	m := s.Model
	order, err := o.gridOrder()
	if err != nil {
		return nil, err
	}
	h, w := m.CodeGrid()
	cell, err := ParseCell(o.Cell, h, w)
	if err != nil {
		return nil, err
	}
	cols := min(o.Steps, m.Codes())
	if err := CheckGridSize(GridTraverseBases*cols, m.Height, m.Width, o.Scale, "--steps and --scale"); err != nil {
		return nil, err
	}
	label, haveLabel, err := s.Label(o.Base.Label)
	if err != nil {
		return nil, err
	}
	if m.Conditional() && !haveLabel && o.Base.Seeded {
		return nil, s.NeedLabel("the sweep")
	}
	set, err := s.TestSet(o.Base.Data)
	if err != nil {
		return nil, err
	}
	codes, err := s.cellCodes(set.Test, order, cols)
	if err != nil {
		return nil, err
	}
	bases, labels, names, err := s.gridBases(o.Base, set, label, haveLabel)
	if err != nil {
		return nil, err
	}
	size := m.Kind().Code().Size()
	at := cell.Row*w + cell.Col
	var tiles []float32
	var tileLabels []int
	for b := range len(bases) / size {
		for _, c := range codes {
			tile := slices.Clone(bases[b*size : (b+1)*size])
			tile[at] = float32(c)
			tiles = append(tiles, tile...)
			tileLabels = append(tileLabels, labels[b])
		}
	}
	images, err := s.Decode(tiles, tileLabels)
	if err != nil {
		return nil, err
	}
	t := &Traversal{Images: images, Order: make([]int, len(names)), Steps: cols, Index: o.Base.Index,
		Cell: &cell, Codes: codes, CodeOrder: order, BaseNames: names, h: m.Height, w: m.Width, c: m.Channels}
	for i := range t.Order {
		t.Order[i] = i
	}
	return t, nil
}

// gridOrder is the order of a vq run's traversal's codes, o.Order when it
// is OrderUse or OrderIndex, else OrderUse, refusing, as an *ArgError,
// the flags a grid has no use for when they were given: --range (codes
// have no range to sweep) and --order kl or dim (a grid has no dimensions
// to order).
func (o TraverseOptions) gridOrder() (string, error) {
	switch {
	case o.SpanGiven:
		return "", argErrorf("--range %g: a vq run's traversal sets a cell of its grid to codes, which have no range to sweep; leave --range out", o.Span)
	case o.Order == OrderUse || o.Order == OrderIndex:
		return o.Order, nil
	case o.OrderGiven:
		return "", argErrorf("--order %s: a vq run's grid has no dimensions to order; its traversal's codes take --order use (the test split's most used first, the default) or index (codes 0, 1, …)", o.Order)
	}
	return OrderUse, nil
}

// cellCodes are the n codes a vq run's traversal sets its cell to, in
// order: OrderIndex's 0 to n−1, or OrderUse's n codes the first
// TraverseKLImages images of test use most (CodesByUse).
func (s *Session) cellCodes(test *data.Split, order string, n int) ([]int, error) {
	if order == OrderIndex {
		codes := make([]int, n)
		for i := range codes {
			codes[i] = i
		}
		return codes, nil
	}
	test = LimitSplit(test, TraverseKLImages)
	used, err := s.Encode(test.Images(), test.Labels)
	if err != nil {
		return nil, fmt.Errorf("encoding the test split: %w", err)
	}
	return CodesByUse(used, s.Model.Codes())[:n], nil
}

// gridBases returns the base grids of a vq run's traversal (indices as
// float32, back to back), the label each is decoded as (label when
// haveLabel, else a test image's own) and each one's name: up to
// GridTraverseBases test images from b.Index (or from the b.Which-th of
// class b.ImageLabel), or as many grids drawn from b.Prior with b.Seed.
func (s *Session) gridBases(b TraverseBase, set *data.Set, label int, haveLabel bool) ([]float32, []int, []string, error) {
	var names []string
	var labels []int
	if b.Seeded {
		for i := range GridTraverseBases {
			names, labels = append(names, fmt.Sprintf("draw %d", i+1)), append(labels, label)
		}
		var cond []int
		if haveLabel {
			cond = labels
		}
		grids, _, err := s.Sample(b.Prior, b.PriorSteps, GridTraverseBases, b.Seed, b.Temperature, cond)
		return grids, labels, names, err
	}
	test, first := set.Test, b.Index
	if b.ImageLabel != "" {
		var err error
		if first, err = PickByLabel(test, set.Classes, "--image-label", b.ImageLabel, b.Which); err != nil {
			return nil, nil, nil, err
		}
	}
	if first >= test.N {
		return nil, nil, nil, fmt.Errorf("--index %d: out of range, the test split has %d images (0 to %d)", first, test.N, test.N-1)
	}
	var images []float32
	var own []int
	for i := first; i < min(first+GridTraverseBases, test.N); i++ {
		images = append(images, test.Image(i)...)
		own = append(own, test.Labels[i])
		names = append(names, "image "+strconv.Itoa(i))
		if haveLabel {
			labels = append(labels, label)
		} else {
			labels = append(labels, test.Labels[i])
		}
	}
	grids, err := s.Encode(images, own)
	return grids, labels, names, err
}

// cellLabels labels a vq run's traversal: each row with its base, each
// column with its code, the corner with the cell.
func (t *Traversal) cellLabels() generate.Labels {
	l := generate.Labels{Rows: make([][]string, len(t.BaseNames)), Cols: make([]string, len(t.Codes)),
		Corner: fmt.Sprintf("cell %d,%d: code", t.Cell.Row, t.Cell.Col)}
	for r, n := range t.BaseNames {
		l.Rows[r] = []string{n}
	}
	for i, c := range t.Codes {
		l.Cols[i] = strconv.Itoa(c)
	}
	return l
}
