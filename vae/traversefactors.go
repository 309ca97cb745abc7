package vae

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/disentangle"
	"github.com/latent-vae/latent/eval"
	"github.com/latent-vae/latent/plots"
)

// TraverseFactorImages is how many test images (the first) a traversal
// measures each dimension's mutual information with the factors on, when
// the data set has factors, and whether it is active.
const TraverseFactorImages = 10000

// DimensionRoles says, for each latent dimension, which factor it carries
// and whether it is active: what names and greys a traversal's rows when
// the data set has factors.
type DimensionRoles struct {
	// Factor names the factor each dimension shares the largest share of
	// mutual information with (disentangle.DimensionFactors; "" none).
	Factor []string
	// Share is that mutual information over the factor's entropy.
	Share []float64
	// Active says the variance of the dimension's posterior mean across
	// the images is above eval.ActiveThreshold, the rule of eval's
	// active-units count.
	Active []bool
	// Images is how many test images they were measured on.
	Images int
}

// Roles measures the roles of the run's latent dimensions on the first
// TraverseFactorImages images of split, which must have factors: their
// posterior means' mutual information with each factor (Bins bins, as
// MIG's) and their variance.
func (s *Session) Roles(split *data.Split) (*DimensionRoles, error) {
	d, err := s.Dimensions("naming dimensions by factor")
	if err != nil {
		return nil, err
	}
	if split.Factors == nil {
		return nil, fmt.Errorf("the test split %w", errNoFactors)
	}
	split = LimitSplit(split, TraverseFactorImages)
	model, err := s.EvalModel(eval.DefaultBatch)
	if err != nil {
		return nil, err
	}
	means, _, err := model.Encode(split.Images(), split.Labels)
	if err != nil {
		return nil, fmt.Errorf("encoding the test split: %w", err)
	}
	return RolesOf(means, d, split.Factors)
}

// RolesOf returns the roles of the d dimensions of codes (flat, d per
// image) against fs, one row per code.
func RolesOf(codes []float32, d int, fs *data.Factors) (*DimensionRoles, error) {
	n := len(codes) / d
	if err := fs.Check(n); err != nil {
		return nil, err
	}
	set := disentangle.Set{Codes: mat.NewDense(n, d, float64s(codes)),
		Factors: disentangle.Factors{Sizes: fs.Sizes, Values: fs.Values}}
	mi, err := disentangle.MutualInfo(set, disentangle.Bins)
	if err != nil {
		return nil, err
	}
	r := &DimensionRoles{Factor: make([]string, d), Active: make([]bool, d), Images: n}
	var factor []int
	factor, r.Share = disentangle.DimensionFactors(mi, disentangle.Entropies(set.Factors))
	for j, f := range factor {
		if f >= 0 {
			r.Factor[j] = fs.Names[f]
		}
	}
	for j, v := range eval.UnitVariances(codes, d) {
		r.Active[j] = v > eval.ActiveThreshold
	}
	return r, nil
}

// rowLabel returns the label lines of dimension j's row: its factor and
// share, or that it is inactive.
func (r *DimensionRoles) rowLabel(j int) string {
	switch {
	case !r.Active[j]:
		return "inactive"
	case r.Factor[j] == "":
		return "no factor"
	}
	return fmt.Sprintf("%s %.2f", r.Factor[j], r.Share[j])
}

// greyOut washes out images (values in [0, 1]) towards mid-grey, keeping
// 30 % of their contrast: an inactive dimension's row.
func greyOut(images []float32) {
	for i, v := range images {
		images[i] = 0.5 + 0.3*(v-0.5)
	}
}

// CategoricalFactor reports whether a factor's values are categories with
// no order (a map colours them with distinct colours) rather than ordered
// steps (a continuous colour scale): shape, class, label and colour are;
// scale, orientation, positions and any other factor are ordered.
func CategoricalFactor(name string) bool {
	switch name {
	case "shape", "class", "label", "colour", "color":
		return true
	}
	return false
}

// CheckColorBy checks a map's --color-by: split must have factors, one of
// them called name. It returns the factor's index.
func CheckColorBy(split *data.Split, setName, name string) (int, error) {
	if split.Factors == nil {
		return 0, argErrorf("--color-by %s: --data %s %v", name, setName, errNoFactors)
	}
	k := split.Factors.Index(name)
	if k < 0 {
		return 0, argErrorf("--color-by %q: no such factor; %s has %s", name, setName, strings.Join(split.Factors.Names, ", "))
	}
	return k, nil
}

// ColorByFactor colours m's points, split's images in order, by their
// value of factor k: on a continuous scale unless CategoricalFactor, the
// values named by classes when the factor is every image's label.
func ColorByFactor(m *plots.Map, split *data.Split, classes []string, k int) {
	fs := split.Factors
	m.Labels = make([]int, split.N)
	isLabel := len(split.Labels) == split.N
	for i := range m.Labels {
		m.Labels[i] = fs.At(i, k)
		isLabel = isLabel && split.Labels[i] == m.Labels[i]
	}
	m.Classes, m.LegendTitle, m.Ordered = nil, fs.Names[k], !CategoricalFactor(fs.Names[k])
	if isLabel {
		m.Classes = classes
	}
}
