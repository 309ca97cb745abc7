package models

// A latent kind says what a model's code is, so that nothing else assumes
// it: the objective asks it for the rate term, generate and vae for the
// code's shape and its default prior, prior, serve and the commands whether
// the code is continuous. Each kind is one file that registers itself from
// an init function (latent_gaussian.go); Config.LatentKind names the kind
// of a model, and an empty name is the Gaussian kind, so configs saved
// before kinds existed load unchanged.

import (
	"fmt"
	"slices"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// LatentKind is what a model's code is: its shape, its default prior and
// its rate term. On the host a code is always Code().Size() float32
// values, flattened row-major in Code()'s shape (a grid's indices are
// exact in float32 up to 2^24), so codes travel between graphs, priors,
// files and the explorer as flat []float32 rows of that size whatever the
// kind; Continuous says whether they may be treated as vectors of reals.
type LatentKind interface {
	// Name is the kind's name, the value of Config.LatentKind.
	Name() string
	// Code is one image's code as a graph takes it: its dimensions and
	// dtype ([D] float32 for the Gaussian; [H, W] int32 indices into a
	// codebook for a grid). Its dtype says whether the kind is continuous.
	Code() shapes.Shape
	// Describe names the code in words, as messages say it ("16 latent
	// dimensions").
	Describe() string
	// Prior draws n codes (n·Code().Size() values) from the kind's default
	// prior, the one the model was trained against, from seed at
	// temperature: the same arguments always give the same codes.
	Prior(n int, seed int64, temperature float64) []float32
	// Rate is the rate term of one stochastic layer per unit, in nats: the
	// KL from the layer's posterior to the prior, [B, 1 or k, units]
	// (summed over units and layers it is the ELBO's KL term).
	Rate(g Group) *Node
	// LogRatio is log p(z) − log q(z|x) of each draw of the layer, [B, k]:
	// the layer's share of the importance log-weights.
	LogRatio(g Group) *Node
}

// Discrete is a latent kind whose code is a grid of indices into a
// codebook: it says the codebook's size, which a prior over the grid
// (prior's transformer) draws each cell's index from.
type Discrete interface {
	LatentKind
	// Codebook is K, the codes each cell's index chooses among (0 … K−1).
	Codebook() int
}

// Codebook is the codebook size K of a discrete kind (Discrete), 0 for a
// continuous one.
func Codebook(k LatentKind) int {
	if d, ok := k.(Discrete); ok && !Continuous(k) {
		return d.Codebook()
	}
	return 0
}

// Continuous reports whether k's codes are vectors of real numbers: then
// priors are fitted to them, maps project them, interpolation is linear in
// them and each value is a dimension that a traversal or a slider moves.
// A discrete code (indices into a codebook) is none of these.
func Continuous(k LatentKind) bool { return k.Code().DType.IsFloat() }

// Dimensions is the number of k's dimensions, the values a traversal or
// the explorer's sliders move one at a time: every value of a continuous
// code, none of a discrete one.
func Dimensions(k LatentKind) int {
	if !Continuous(k) {
		return 0
	}
	return k.Code().Size()
}

// NeedContinuous refuses, in one line that names what, a kind whose codes
// are not continuous (see Continuous); nil for one that is.
func NeedContinuous(k LatentKind, what string) error {
	if Continuous(k) {
		return nil
	}
	return fmt.Errorf("%s needs a continuous latent (dimensions of real numbers), and the run's latent is %s", what, k.Describe())
}

// latentKind is a registered kind: its name and how a config makes it.
type latentKind struct {
	name string
	of   func(Config) LatentKind
}

// latentKinds holds the registered kinds. It is written only by
// RegisterLatentKind from init functions, and read-only after.
var latentKinds []latentKind

// RegisterLatentKind makes the latent kind name available to configs: of
// returns the kind of a config naming it. It is called from an init
// function (as image.RegisterFormat is); a name registered twice is a
// programming error, and panics.
func RegisterLatentKind(name string, of func(Config) LatentKind) {
	if name == "" || slices.ContainsFunc(latentKinds, func(k latentKind) bool { return k.name == name }) {
		panic(fmt.Sprintf("models: latent kind %q registered twice or empty", name))
	}
	latentKinds = append(latentKinds, latentKind{name, of})
}

// LatentKindNames are the registered latent kinds' names, sorted.
func LatentKindNames() []string {
	out := make([]string, len(latentKinds))
	for i, k := range latentKinds {
		out[i] = k.name
	}
	slices.Sort(out)
	return out
}

// latentKindOf returns the registered kind name names (GaussianLatent for
// ""), or false.
func latentKindOf(name string) (latentKind, bool) {
	if name == "" {
		name = GaussianLatent
	}
	i := slices.IndexFunc(latentKinds, func(k latentKind) bool { return k.name == name })
	if i < 0 {
		return latentKind{}, false
	}
	return latentKinds[i], true
}

// Kind is the model's latent kind: the one Config.LatentKind names, the
// Gaussian for a config without one. A config naming no registered kind
// fails Validate; Kind panics on one, as graph building does on a config
// that was not validated.
func (c Config) Kind() LatentKind {
	k, ok := latentKindOf(c.LatentKind)
	if !ok {
		panic(fmt.Sprintf("models: latent kind %q is not registered (the config was not validated)", c.LatentKind))
	}
	return k.of(c)
}

// validateKind checks that the config names a registered latent kind.
func (c Config) validateKind() error {
	if _, ok := latentKindOf(c.LatentKind); !ok {
		return fmt.Errorf("latent kind %q: want one of %v", c.LatentKind, LatentKindNames())
	}
	return nil
}
