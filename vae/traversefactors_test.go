package vae

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/plots"
)

// TestRolesOf: dimensions that are factors "a" and "b" are named by them
// (share 1), a constant dimension is inactive, and a dimension that
// varies by less than eval's threshold is inactive too.
func TestRolesOf(t *testing.T) {
	fs := &data.Factors{Names: []string{"a", "b"}, Sizes: []int{3, 4}}
	var codes []float32
	for i := range 120 {
		a, b := i%3, (i/3)%4
		fs.Values = append(fs.Values, a, b)
		codes = append(codes, float32(b), float32(a), 7, float32(a)*0.05)
	}
	r, err := RolesOf(codes, 4, fs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Factor[:2], []string{"b", "a"}) || !(r.Share[0] >= 0.999) || !(r.Share[1] >= 0.999) {
		t.Errorf("factors %q, shares %v; want b and a with share 1", r.Factor, r.Share)
	}
	if !slices.Equal(r.Active, []bool{true, true, false, false}) {
		t.Errorf("active %v, want [true true false false]", r.Active)
	}
	if got := []string{r.rowLabel(0), r.rowLabel(2)}; !slices.Equal(got, []string{"b 1.00", "inactive"}) {
		t.Errorf("row labels %q", got)
	}
	if _, err := RolesOf(codes[:8], 4, fs); err == nil {
		t.Error("2 codes against 120 rows of factors were accepted")
	}
}

// TestTraverseByFactor: with roles, an inactive dimension's row is its
// sweep washed out towards grey and an active one's is unchanged, and
// the rows are named by factor.
func TestTraverseByFactor(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	m := s.Model
	size := 3 * m.Height * m.Width * m.Channels
	start := &TraverseStart{Base: make([]float32, m.Latent), KL: []float64{0.5, 1, 2, 0.25}}
	plain, err := s.Traverse(start, 0, 3, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	start.Roles = &DimensionRoles{Factor: []string{"x", "shape", "", ""}, Share: []float64{0.5, 0.8, 0.1, 0},
		Active: []bool{true, true, true, false}}
	tr, err := s.Traverse(start, 0, 3, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	for r, d := range tr.Order {
		got, was := tr.Images[r*size:(r+1)*size], plain.Images[r*size:(r+1)*size]
		if d != 3 {
			if !slices.Equal(got, was) {
				t.Errorf("active z%d's row changed", d+1)
			}
			continue
		}
		for i := range got {
			if want := 0.5 + 0.3*(was[i]-0.5); !(got[i] == want) || !(got[i] >= 0.35 && got[i] <= 0.65) {
				t.Fatalf("inactive z4's pixel %d is %v, want %v in [0.35, 0.65]", i, got[i], want)
			}
		}
	}
	if got := tr.Rows(); got != "z3 (no factor, KL 2.0000), z2 (shape 0.80, KL 1.0000), z1 (x 0.50, KL 0.5000), z4 (inactive, KL 0.2500)" {
		t.Errorf("Rows = %q", got)
	}
}

// TestColorByFactor: the points take the factor's values, ordered unless
// the factor is categorical, named by the classes when the factor is the
// label; --color-by refuses a set without factors and an unknown factor,
// listing the factors, as *ArgError.
func TestColorByFactor(t *testing.T) {
	sp := gridSplit([]int{3, 4}, nil)
	column := func(k int) []int {
		out := make([]int, sp.N)
		for i := range out {
			out[i] = sp.Factors.At(i, k)
		}
		return out
	}
	for _, c := range []struct {
		name    string
		ordered bool
		classes bool
	}{{"shape", false, true}, {"scale", true, false}} {
		k, err := CheckColorBy(sp, "test", c.name)
		if err != nil {
			t.Fatal(err)
		}
		m := &plots.Map{}
		ColorByFactor(m, sp, []string{"square", "ellipse", "heart"}, k)
		if !slices.Equal(m.Labels, column(k)) || m.Ordered != c.ordered || (m.Classes != nil) != c.classes || m.LegendTitle != c.name {
			t.Errorf("%s: labels %v, ordered %v, classes %v, legend %q", c.name, m.Labels, m.Ordered, m.Classes, m.LegendTitle)
		}
	}
	plain := *sp
	plain.Factors = nil
	for _, c := range []struct {
		split *data.Split
		name  string
		want  string
	}{{&plain, "x", "has no factors"}, {sp, "colour", "shape, scale"}} {
		var ae *ArgError
		if _, err := CheckColorBy(c.split, "test", c.name); !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--color-by %s: %v, want an *ArgError with %q", c.name, err, c.want)
		}
	}
}
