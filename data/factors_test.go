package data

import (
	"slices"
	"strings"
	"testing"
)

// twoFactors returns a table of 3 images' factors "a" (2 values) and "b"
// (3 values).
func twoFactors() *Factors {
	return &Factors{Names: []string{"a", "b"}, Sizes: []int{2, 3}, Values: []int{0, 2, 1, 0, 1, 1}}
}

func TestFactorsAccessors(t *testing.T) {
	f := twoFactors()
	if f.NumFactors() != 2 || f.Len() != 3 {
		t.Errorf("NumFactors, Len = %d, %d; want 2, 3", f.NumFactors(), f.Len())
	}
	if f.At(1, 0) != 1 || f.At(2, 1) != 1 || f.At(0, 1) != 2 {
		t.Errorf("At: %d %d %d, want 1 1 2", f.At(1, 0), f.At(2, 1), f.At(0, 1))
	}
	if got := f.Row(1); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("Row(1) = %v, want [1 0]", got)
	}
	if f.Index("b") != 1 || f.Index("c") != -1 {
		t.Errorf("Index(b), Index(c) = %d, %d; want 1, -1", f.Index("b"), f.Index("c"))
	}
	if (&Factors{}).Len() != 0 {
		t.Error("an empty table has images")
	}
}

func TestFactorsCheck(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Factors)
		n    int
		want string // "" for no error
	}{
		{"valid", func(*Factors) {}, 3, ""},
		{"none", func(f *Factors) { *f = Factors{} }, 0, "none"},
		{"names", func(f *Factors) { f.Names = f.Names[:1] }, 3, "1 names for 2 factors"},
		{"rows", func(f *Factors) {}, 4, "6 values for 4 images"},
		{"ragged", func(f *Factors) { f.Values = f.Values[:5] }, 3, "5 values"},
		{"unnamed", func(f *Factors) { f.Names[1] = "" }, 3, "factor 1 has no name"},
		{"twice", func(f *Factors) { f.Names[1] = "a" }, 3, `"a" is given twice`},
		{"size", func(f *Factors) { f.Sizes[0] = 0 }, 3, `"a" has 0 values`},
		{"high", func(f *Factors) { f.Values[3] = 3 }, 3, `image 1: factor "b" is 3, outside [0, 3)`},
		{"negative", func(f *Factors) { f.Values[4] = -1 }, 3, `image 2: factor "a" is -1`},
	}
	for _, tt := range tests {
		f := twoFactors()
		tt.edit(f)
		err := f.Check(tt.n)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestSplitCarriesFactors(t *testing.T) {
	s := &Split{Pixels: []uint8{10, 20, 30}, Labels: []int{0, 1, 0}, N: 3, Height: 1, Width: 1, Channels: 1, Factors: twoFactors()}
	sub := s.Subset(2)
	if sub.Factors == nil || sub.Factors.Len() != 2 || !slices.Equal(sub.Factors.Values, []int{0, 2, 1, 0}) {
		t.Fatalf("Subset(2).Factors = %+v, want the first 2 rows", sub.Factors)
	}
	if !slices.Equal(sub.Factors.Names, s.Factors.Names) || !slices.Equal(sub.Factors.Sizes, s.Factors.Sizes) {
		t.Errorf("Subset(2) factors named %v sized %v", sub.Factors.Names, sub.Factors.Sizes)
	}
	picked := s.Pick([]int{2, 0, 2})
	if picked.Factors == nil || !slices.Equal(picked.Factors.Values, []int{1, 1, 0, 2, 1, 1}) {
		t.Fatalf("Pick(2 0 2).Factors = %+v, want rows 2, 0, 2", picked.Factors)
	}
	picked.Factors.Values[0] = 0
	if s.Factors.Values[4] != 1 {
		t.Error("Pick shares its factor values with the split")
	}
	if err := picked.Factors.Check(picked.N); err != nil {
		t.Error(err)
	}
	none := &Split{Pixels: []uint8{1, 2}, Labels: []int{0, 0}, N: 2, Height: 1, Width: 1, Channels: 1}
	if none.Subset(1).Factors != nil || none.Pick([]int{1}).Factors != nil {
		t.Error("a split without factors gained some")
	}
}
