package data

import (
	"fmt"
	"slices"
)

// Factors holds the known factors of variation of a split's images, one row
// per image: Values[i*F+f] is image i's value of factor f, an integer in
// [0, Sizes[f]), where F = len(Names) = len(Sizes).
//
// The disentanglement metrics take the same table:
// disentangle.Factors{Sizes: f.Sizes, Values: f.Values}. Package data stays
// below disentangle in the layers, so it names no type of it; the fields
// are shared as they are, not copied.
type Factors struct {
	Names  []string // each factor's name, as commands print it
	Sizes  []int    // the number of values of each factor
	Values []int    // N × F, row-major
}

// NumFactors returns F, the number of factors.
func (f *Factors) NumFactors() int { return len(f.Sizes) }

// Len returns N, the number of images whose factors f holds.
func (f *Factors) Len() int {
	if len(f.Sizes) == 0 {
		return 0
	}
	return len(f.Values) / len(f.Sizes)
}

// At returns image i's value of factor k.
func (f *Factors) At(i, k int) int { return f.Values[i*len(f.Sizes)+k] }

// Row returns image i's factor values, sharing f's storage.
func (f *Factors) Row(i int) []int {
	F := len(f.Sizes)
	return f.Values[i*F : (i+1)*F : (i+1)*F]
}

// Index returns the index of the factor called name, or -1.
func (f *Factors) Index(name string) int { return slices.Index(f.Names, name) }

// Check reports a table that does not hold n images' factors: no factors,
// names and sizes of different lengths, an empty or repeated name, a size
// below 1, a row count other than n or a value outside its factor's range.
func (f *Factors) Check(n int) error {
	F := len(f.Sizes)
	switch {
	case F == 0:
		return fmt.Errorf("factors: none")
	case len(f.Names) != F:
		return fmt.Errorf("factors: %d names for %d factors", len(f.Names), F)
	case len(f.Values) != n*F:
		return fmt.Errorf("factors: %d values for %d images of %d factors, want %d", len(f.Values), n, F, n*F)
	}
	for k, name := range f.Names {
		switch {
		case name == "":
			return fmt.Errorf("factors: factor %d has no name", k)
		case slices.Index(f.Names, name) != k:
			return fmt.Errorf("factors: the name %q is given twice", name)
		case f.Sizes[k] < 1:
			return fmt.Errorf("factors: factor %q has %d values", name, f.Sizes[k])
		}
	}
	for i, v := range f.Values {
		if k := i % F; v < 0 || v >= f.Sizes[k] {
			return fmt.Errorf("factors: image %d: factor %q is %d, outside [0, %d)", i/F, f.Names[k], v, f.Sizes[k])
		}
	}
	return nil
}

// subset returns the factors of the first n images, sharing f's values; nil
// for nil.
func (f *Factors) subset(n int) *Factors {
	if f == nil {
		return nil
	}
	F := len(f.Sizes)
	return &Factors{Names: f.Names, Sizes: f.Sizes, Values: f.Values[: n*F : n*F]}
}

// pick returns the factors of the images at indices, in their order, newly
// allocated; nil for nil. Names and sizes are shared: they are never
// written.
func (f *Factors) pick(indices []int) *Factors {
	if f == nil {
		return nil
	}
	out := &Factors{Names: f.Names, Sizes: f.Sizes, Values: make([]int, 0, len(indices)*len(f.Sizes))}
	for _, i := range indices {
		out.Values = append(out.Values, f.Row(i)...)
	}
	return out
}
