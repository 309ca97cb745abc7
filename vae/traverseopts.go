package vae

import (
	"fmt"
	"math"
	"strings"
)

// Orders of a traversal (TraverseOptions.Order): of its rows, the
// dimensions; on a vq run, of its columns, the codes a cell is set to.
const (
	OrderKL    = "kl"    // by decreasing mean KL
	OrderDim   = "dim"   // z1 first
	OrderUse   = "use"   // a vq run: the codes the test split uses most, the most used first (its default)
	OrderIndex = "index" // a vq run: codes 0, 1, … in codebook order
)

// TraverseOptions are what `latent traverse` draws: every dimension swept
// over Steps values from −Span to +Span around the code Base chooses, the
// rows in Order, the grid upscaled by Scale. Base.ByKL is set from Order.
type TraverseOptions struct {
	Base  TraverseBase
	Steps int
	Span  float64
	Order string
	Scale int
	// Cell is a vq run's cell, "ROW,COL" ("": the centre), set to each
	// code in turn (Sweep); other runs refuse it.
	Cell string
	// SpanGiven and OrderGiven say --range and --order were given
	// (Choose): a vq run refuses them rather than ignore them where they
	// have no meaning on its grid (gridOrder).
	SpanGiven, OrderGiven bool
}

// Choose records which of the sweep's flags the flags given (by name)
// chose: --range and --order, and the base code's (TraverseBase.Choose),
// refusing base flags that do not go together.
func (o *TraverseOptions) Choose(given map[string]bool) error {
	o.SpanGiven, o.OrderGiven = given["range"], given["order"]
	return o.Base.Choose(given)
}

// Check checks the options' values, each error an *ArgError naming its flag.
func (o TraverseOptions) Check() error {
	switch {
	case o.Steps < 2 || o.Steps > 1000:
		return argErrorf("--steps %d: want 2 to 1000", o.Steps)
	case !(o.Span > 0) || math.IsInf(o.Span, 0):
		return argErrorf("--range %v: want a finite value > 0", o.Span)
	case o.Base.Index < 0:
		return argErrorf("--index %d: want ≥ 0", o.Base.Index)
	case o.Base.Which < 0:
		return argErrorf("--which %d: want ≥ 0", o.Base.Which)
	case o.Order != OrderKL && o.Order != OrderDim && o.Order != OrderUse && o.Order != OrderIndex:
		return argErrorf("--order %q: want kl or dim (a vq run: use or index)", o.Order)
	}
	if err := CheckScale(o.Scale); err != nil {
		return err
	}
	if err := CheckPrior(o.Base.Prior, o.Base.PriorSteps); err != nil {
		return err
	}
	return CheckTemperature(o.Base.Temperature)
}

// Sweep returns the traversal o describes (TraverseStats, then Traverse;
// on a vq run, the codes at o.Cell of a few base grids, gridSweep),
// decoded as o.Base.Label, else as the base image's label, after checking
// o, that the run's latent has dimensions to sweep and that the grid fits
// in one picture. Its Index is the base image's.
func (s *Session) Sweep(o TraverseOptions) (*Traversal, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	m := s.Model
	if s.gridRun() {
		return s.gridSweep(o)
	}
	if o.Cell != "" {
		return nil, argErrorf("--cell %q: only a vq run's code is a grid of cells", o.Cell)
	}
	if o.Order == OrderUse || o.Order == OrderIndex {
		return nil, argErrorf("--order %s: orders a vq run's codes; the rows of a traversal of dimensions are ordered by kl or dim", o.Order)
	}
	if _, err := s.Dimensions("traverse"); err != nil {
		return nil, err
	}
	if m.Latent*o.Steps > MaxImages {
		return nil, argErrorf("--steps %d: %d latent dimensions × steps exceeds %d images", o.Steps, m.Latent, MaxImages)
	}
	label, haveLabel, err := s.Label(o.Base.Label)
	if err != nil {
		return nil, err
	}
	if m.Conditional() && !haveLabel && o.Base.Seeded {
		return nil, s.NeedLabel("the sweep")
	}
	base := o.Base
	base.ByKL = o.Order == OrderKL
	st, err := s.TraverseStats(base)
	if err != nil {
		return nil, err
	}
	if !haveLabel {
		label = st.Label // the base image's, which an unconditional model ignores
	}
	if err := CheckGridSize(m.Latent*o.Steps, m.Height, m.Width, o.Scale, "--steps and --scale"); err != nil {
		return nil, err
	}
	t, err := s.Traverse(st, label, o.Steps, o.Span, base.ByKL)
	if err != nil {
		return nil, err
	}
	t.Index = st.Index
	return t, nil
}

// Describe says what t shows, as `latent traverse` reports it: the sweep,
// its base code and the rows' order, and how they are named when the data
// set has factors.
func (o TraverseOptions) Describe(t *Traversal) string {
	if t.Cell != nil {
		codes := fmt.Sprintf("the %d codes the test split uses most (most used first)", len(t.Codes))
		if t.CodeOrder == OrderIndex {
			codes = fmt.Sprintf("codes 0 to %d (codebook order)", len(t.Codes)-1)
		}
		return fmt.Sprintf("cell %d,%d of %d base grids set to each of %s, rows %s",
			t.Cell.Row, t.Cell.Col, len(t.BaseNames), codes, strings.Join(t.BaseNames, ", "))
	}
	base := fmt.Sprintf("test image %d's code", t.Index)
	if o.Base.Seeded {
		base = fmt.Sprintf("a code drawn with seed %d at %s", o.Base.Seed, TemperatureWords(o.Base.Temperature))
	}
	order := fmt.Sprintf("decreasing KL (mean over up to %d test images)", TraverseKLImages)
	if o.Order == OrderDim {
		order = "dimension"
	}
	out := fmt.Sprintf("%d dimensions × %d steps over ±%g around %s, rows by %s", len(t.Order), o.Steps, o.Span, base, order)
	if t.Roles != nil {
		out += fmt.Sprintf(", named by the factor each shares most mutual information with on %d test images, inactive ones greyed", t.Roles.Images)
	}
	return out
}

// Choose records whether the flags given (by name) chose a drawn base
// code (--seed), and refuses base flags that do not go together; their
// values are TraverseOptions.Check's.
func (b *TraverseBase) Choose(given map[string]bool) error {
	b.Seeded = given["seed"]
	switch {
	case b.Seeded && (given["index"] || given["image-label"]):
		return argErrorf("--seed and --index (or --image-label) choose different base codes: give one")
	case !b.Seeded && (given["prior"] || given["prior-steps"]):
		return argErrorf("--prior draws a --seed base code; give --seed with it")
	}
	return CheckImagePick(given)
}
