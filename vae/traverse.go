package vae

import (
	"cmp"
	"fmt"
	"image"
	"slices"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/generate"
)

// TraverseKLImages is how many test images (the first) the per-dimension
// KL that orders a traversal's rows is averaged over.
const TraverseKLImages = 1000

// TraverseBase chooses the code a traversal sweeps around: a code drawn
// from a prior (Seeded), else the posterior mean of a test image (Index,
// or the Which-th image of class ImageLabel).
type TraverseBase struct {
	Seeded      bool
	Prior       string // the --prior of a drawn code
	PriorSteps  int
	Seed        int64
	Temperature float64
	Data        string // the data set of the base image and of the KL ("": the run's)
	Index       int
	ImageLabel  string
	Which       int
	// Label is the class (a --label value) a drawn code is conditioned on.
	Label string
	// ByKL says the rows are ordered by KL, which then is measured even
	// for a drawn code.
	ByKL bool
}

// TraverseStart is where a traversal starts: the base code, the base
// image's label and index (0 for a drawn code), and each dimension's KL
// averaged over the first test images (nil when not measured).
type TraverseStart struct {
	Base         []float32
	KL           []float64
	Label, Index int
	// Roles names and greys the rows when the data set's test split has
	// factors (nil otherwise, or for a drawn code with rows by dimension).
	Roles *DimensionRoles
}

// TraverseStats returns the start b chooses: the base code and, unless the
// rows keep the dimensions' order with a drawn base (which needs no data),
// each dimension's KL averaged over the first TraverseKLImages test
// images, and, when the test split has factors, each dimension's role
// (Roles). Images are encoded with their labels, which an unconditional
// model ignores.
func (s *Session) TraverseStats(b TraverseBase) (*TraverseStart, error) {
	st := &TraverseStart{}
	var err error
	if b.Seeded {
		var labels []int
		if l, ok, err := s.Label(b.Label); err != nil {
			return nil, err
		} else if ok {
			labels = []int{l}
		}
		if st.Base, _, err = s.Sample(b.Prior, b.PriorSteps, 1, b.Seed, b.Temperature, labels); err != nil {
			return nil, err
		}
		if !b.ByKL {
			return st, nil
		}
	}
	set, err := s.TestSet(b.Data)
	if err != nil {
		return nil, err
	}
	test := set.Test
	st.Index = b.Index
	if !b.Seeded && b.ImageLabel != "" {
		if st.Index, err = PickByLabel(test, set.Classes, "--image-label", b.ImageLabel, b.Which); err != nil {
			return nil, err
		}
	}
	if !b.Seeded && st.Index >= test.N {
		return nil, fmt.Errorf("--index %d: out of range, the test split has %d images (0 to %d)", st.Index, test.N, test.N-1)
	}
	if st.KL, err = s.UnitKL(LimitSplit(test, TraverseKLImages)); err != nil {
		return nil, err
	}
	if test.Factors != nil {
		if st.Roles, err = s.Roles(test); err != nil {
			return nil, err
		}
	}
	if !b.Seeded {
		st.Label = test.Labels[st.Index]
		if st.Base, err = s.Encode(test.Image(st.Index), []int{st.Label}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// TraverseOrder returns the latent dimensions in row order: by decreasing
// kl (ties by dimension) when byKL, else as they are.
func TraverseOrder(latent int, kl []float64, byKL bool) []int {
	dims := make([]int, latent)
	for d := range dims {
		dims[d] = d
	}
	if byKL {
		slices.SortStableFunc(dims, func(a, b int) int { return cmp.Compare(kl[b], kl[a]) })
	}
	return dims
}

// Traversal is every latent dimension swept around a base code, decoded:
// Images holds Steps images per dimension, the rows in Order, each
// dimension swept over ±Span; KL is each dimension's (nil: not measured).
type Traversal struct {
	Images []float32
	Order  []int
	KL     []float64
	Roles  *DimensionRoles // nil: rows not named by factor
	Steps  int
	Span   float64
	Index  int // the base image's (Sweep sets it; 0 for a drawn code)
	// A vq run's traversal (Cell set): each row a base grid (BaseNames),
	// each column the grid with Cell set to one of Codes.
	Cell      *GridCell
	Codes     []int
	CodeOrder string // of Codes: OrderUse or OrderIndex
	BaseNames []string
	h, w, c   int // of an image
}

// Traverse decodes, as class label, every dimension of st's base code
// swept over steps values from −span to +span around it
// (generate.Traversal), the rows by decreasing KL when byKL (TraverseOrder);
// with st.Roles, an inactive dimension's row is greyed out.
func (s *Session) Traverse(st *TraverseStart, label, steps int, span float64, byKL bool) (*Traversal, error) {
	m := s.Model
	images, err := s.Decode(generate.Traversal(st.Base, steps, span), RepeatLabel(label, m.Latent*steps))
	if err != nil {
		return nil, err
	}
	t := &Traversal{Order: TraverseOrder(m.Latent, st.KL, byKL), KL: st.KL, Roles: st.Roles, Steps: steps, Span: span, h: m.Height, w: m.Width, c: m.Channels}
	rowSize := steps * m.Height * m.Width * m.Channels
	t.Images = make([]float32, 0, len(t.Order)*rowSize)
	for _, d := range t.Order {
		t.Images = append(t.Images, images[d*rowSize:(d+1)*rowSize]...)
		if t.Roles != nil && !t.Roles.Active[d] {
			greyOut(t.Images[len(t.Images)-rowSize:])
		}
	}
	return t, nil
}

// Grid draws the traversal, a row per dimension upscaled by scale, each
// labelled with its dimension, its factor (with Roles) and KL and each
// column with its offset (TraverseLabels).
func (t *Traversal) Grid(scale int) image.Image {
	grid := generate.Grid(t.Images, len(t.Order)*t.Steps, t.h, t.w, t.c, t.Steps, scale)
	labels := TraverseLabels(t.Order, t.KL, t.Steps, t.Span)
	if t.Cell != nil {
		labels = t.cellLabels()
	}
	if t.Roles != nil {
		for r, d := range t.Order {
			labels.Rows[r] = append(labels.Rows[r][:1], append([]string{t.Roles.rowLabel(d)}, labels.Rows[r][1:]...)...)
		}
	}
	return generate.Label(grid, t.w*scale, t.h*scale, labels)
}

// Rows names the rows in order with their KL, and with Roles their factor:
// "z2 (KL 0.1234), z1 (…)", or "z2 (shape 0.81, KL 0.1234), …".
func (t *Traversal) Rows() string {
	rows := make([]string, len(t.Order))
	for r, d := range t.Order {
		rows[r] = fmt.Sprintf("z%d (KL %.4f)", d+1, t.KL[d])
		if t.Roles != nil {
			rows[r] = fmt.Sprintf("z%d (%s, KL %.4f)", d+1, t.Roles.rowLabel(d), t.KL[d])
		}
	}
	return strings.Join(rows, ", ")
}

// TraverseLabels labels each row with its dimension (z1 is the first) and
// KL, when known, and each column with its offset from the base.
func TraverseLabels(order []int, kl []float64, steps int, span float64) generate.Labels {
	l := generate.Labels{Rows: make([][]string, len(order)), Cols: make([]string, steps), Corner: "offset"}
	for r, d := range order {
		l.Rows[r] = []string{"z" + strconv.Itoa(d+1)}
		if kl != nil {
			l.Rows[r] = append(l.Rows[r], fmt.Sprintf("KL %.2f", kl[d]))
		}
	}
	for i := range steps {
		v := generate.SweepOffset(i, steps, span)
		l.Cols[i] = strconv.FormatFloat(v, 'g', 3, 64)
		if v > 0 {
			l.Cols[i] = "+" + l.Cols[i]
		}
	}
	return l
}

// Frames turns the traversal's images into one frame per step, each a
// grid of every row's image at that step, upscaled by scale
// (generate.Frames).
func (t *Traversal) Frames(scale int) []image.Image {
	return generate.Frames(t.Images, len(t.Order), t.Steps, t.h, t.w, t.c, 0, scale)
}
