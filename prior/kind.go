package prior

import (
	"cmp"
	"flag"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/latent-vae/latent/internal/suggest"
	"github.com/latent-vae/latent/models"
)

// Sampler draws codes from a prior opened for sampling.
type Sampler interface {
	// Sample draws n codes (n*Latent values) at temperature with seed; a
	// conditional prior takes one label per code.
	Sample(n int, seed int64, temperature float64, labels []int) ([]float32, error)
	// Close frees what the sampler holds (a compiled graph).
	Close()
}

// OpenOptions steer how a saved prior is opened for sampling.
type OpenOptions struct {
	Batch int // codes per compiled batch, for a kind that compiles one
	Steps int // sampling steps, for a kind that samples in steps
	// TopK keeps, for a kind that draws each code from a categorical
	// distribution, only the TopK most likely codes (0: every code).
	TopK int
}

// Kind is one kind of prior: its name (the --kind and --prior value), how
// its flags are defined, how it is fitted and how a saved one is opened.
// Each kind's file registers its Kind from an init function; nothing
// outside this package names a kind.
type Kind struct {
	Name string
	// Rank orders the kinds: --prior auto takes the fitted kind of the
	// highest rank, and lists give the kinds by rank, the best last.
	Rank int
	// Help is a phrase for --kind's help ("a Gaussian mixture, EM: under
	// a minute").
	Help string
	// Draws is the posterior draws per training image a fit takes unless
	// --draws says otherwise.
	Draws int
	// Flags defines the kind's own flags of `latent prior fit` on fs and
	// returns the recipe they set. A name another kind defines too (--steps)
	// is one flag that sets both kinds' values, each kind keeping its own
	// default (DefineFitFlags).
	Flags func(fs *flag.FlagSet) Recipe
	// Open returns a sampler of a saved prior of this kind, compiled on b
	// where it needs a graph.
	Open func(s *Saved, b backends.Backend, opt OpenOptions) (Sampler, error)
	// Describe names a saved prior of this kind with its size
	// ("gmm (10 components)").
	Describe func(c Config) string
	// Discrete is set for a kind that fits a discrete latent's codes
	// (indices into a codebook); unset, the kind fits continuous ones
	// (vectors of real numbers). CheckLatent refuses the other latent kinds.
	Discrete bool
	// Mixtures, for a kind whose prior is Gaussian mixtures (a Gaussian is
	// one of one component), reads a saved prior of the kind as mixtures:
	// what Export writes of it and what Noise draws for it. Nil for a kind
	// of another shape.
	Mixtures func(s *Saved) (*Mixtures, error)
	// Usable, when set, refuses a saved prior of this kind that this
	// latent can no longer open (one saved in an earlier layout of the
	// kind's network), naming its file and saying to fit it again; unset,
	// every saved prior of the kind opens.
	Usable func(s *Saved) error
}

// CheckLatent refuses, in one line, a latent kind whose codes a prior of kind k
// cannot fit.
func (k Kind) CheckLatent(l models.LatentKind) error {
	if k.Discrete == models.Continuous(l) {
		codes := "continuous codes (vectors of real numbers)"
		if k.Discrete {
			codes = "discrete codes (indices into a codebook)"
		}
		return fmt.Errorf("a %s prior fits %s, and the run's latent is %s", k.Name, codes, l.Describe())
	}
	return nil
}

// Recipe is one fit of a kind, as its flags set it.
type Recipe interface {
	// Check refuses flag values out of range, naming the flag.
	Check() error
	// Resume reports whether the fit continues the one in its workspace.
	Resume() bool
	// Ready refuses a fit that cannot run, before the codes are encoded:
	// w is its workspace (Done and Saved for a resumed fit), cfg its config
	// and counts the codes it will get per class (one count for an
	// unconditional run).
	Ready(w *Workspace, cfg Config, counts []int) error
	// Fit fits the prior into j.Workspace.Dir (Commit is the caller's) and
	// returns its report for stdout.
	Fit(j Job) (string, error)
}

// Job is what a Recipe fits: the codes, the config stamped with the run
// (Origin.Stamp) and the draws, and where and how to fit.
type Job struct {
	Backend           backends.Backend
	Workspace         *Workspace
	Config            Config
	Training, HeldOut Codes
	Start             time.Time // when the fit began, for its report
	// Stop, when closed, interrupts the fit; it then returns an
	// *InterruptedError.
	Stop <-chan struct{}
	// Progress, when not nil, returns the reporter of a fit of steps steps
	// that what names ("fitting the diffusion prior").
	Progress func(what string, steps int64) func(done, total int64, loss float64)
}

// registry holds the kinds, by rank. It is written only by the kinds'
// init functions (register) and read-only after the package is initialised.
var registry []Kind

// register adds k to the kinds; a name or flag registered twice is a
// programming error, and panics.
func register(k Kind) {
	if k.Name == "" || k.Name == Normal || k.Name == Uniform || k.Name == Auto || slices.ContainsFunc(registry, func(o Kind) bool { return o.Name == k.Name }) {
		panic(fmt.Sprintf("prior: kind %q registered twice or reserved", k.Name))
	}
	registry = append(registry, k)
	slices.SortStableFunc(registry, func(a, b Kind) int { return cmp.Compare(a.Rank, b.Rank) })
}

// Registered are the kinds, by rank: the best last.
func Registered() []Kind { return slices.Clone(registry) }

// Lookup returns the kind named name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(registry, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return registry[i], true
}

// KindNames are the kinds' names, by rank: the best last.
func KindNames() []string {
	out := make([]string, len(registry))
	for i, k := range registry {
		out[i] = k.Name
	}
	return out
}

// Either lists names as prose: "a, b or c" (suggest.Either).
func Either(names []string) string { return suggest.Either(names) }

// FitFlags are the kinds' flags of `latent prior fit`, defined on one flag
// set: each kind's recipe, and which kinds defined each flag.
type FitFlags struct {
	Recipes map[string]Recipe   // by kind
	owners  map[string][]string // flag name → the kinds that define it
	order   []string            // flag names, as defined
}

// DefineFitFlags defines every kind's own flags on fs. A flag that kinds
// share (--steps, --lr) is defined once: its value sets each kind's, its
// default is the first kind's and its help joins theirs (with a later
// kind's own default), so a kind's
// recipe keeps its own default when the flag is not given.
func DefineFitFlags(fs *flag.FlagSet) *FitFlags {
	f := &FitFlags{Recipes: map[string]Recipe{}, owners: map[string][]string{}}
	for _, k := range registry {
		own := flag.NewFlagSet(k.Name, flag.ContinueOnError)
		f.Recipes[k.Name] = k.Flags(own)
		own.VisitAll(func(fl *flag.Flag) {
			if shared := fs.Lookup(fl.Name); shared != nil {
				shared.Value = sharedValue{shared.Value, fl.Value}
				shared.Usage += "; " + fl.Usage
				if fl.DefValue != shared.DefValue {
					shared.Usage += fmt.Sprintf(" (%s's default: %s)", k.Name, fl.DefValue)
				}
			} else {
				fs.Var(fl.Value, fl.Name, fl.Usage)
				f.order = append(f.order, fl.Name)
			}
			f.owners[fl.Name] = append(f.owners[fl.Name], k.Name)
		})
	}
	return f
}

// sharedValue is a flag that two kinds define: Set sets both, and it reads
// as the first.
type sharedValue struct{ first, second flag.Value }

// String is the first kind's value.
func (v sharedValue) String() string {
	if v.first == nil { // the zero value flag.isZeroValue makes
		return ""
	}
	return v.first.String()
}

// Set sets both kinds' values.
func (v sharedValue) Set(s string) error {
	if err := v.first.Set(s); err != nil {
		return err
	}
	return v.second.Set(s)
}

// IsBoolFlag reports whether the flag is a boolean one (--resume), which
// takes no value.
func (v sharedValue) IsBoolFlag() bool {
	b, ok := v.first.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// Type names the flag's type as pflag names a Go flag's ("int", "float64").
func (v sharedValue) Type() string {
	if t, ok := v.first.(interface{ Type() string }); ok {
		return t.Type()
	}
	return strings.TrimSuffix(reflect.TypeOf(v.first).Elem().Name(), "Value")
}

// Foreign returns the first flag in set (the flags given) that kind does
// not define, with the kinds that do ("diffusion or transformer"); ""
// when there is none.
func (f *FitFlags) Foreign(kind string, set map[string]bool) (flagName, owner string) {
	for _, name := range f.order {
		if set[name] && !slices.Contains(f.owners[name], kind) {
			return name, Either(f.owners[name])
		}
	}
	return "", ""
}

// Synopsis lists each kind's own flags, a line per kind that has any:
// "  KIND: [--a] [--b]".
func (f *FitFlags) Synopsis() string {
	var lines []string
	for _, k := range KindNames() {
		if names := f.Of(k); len(names) > 0 {
			lines = append(lines, "  "+k+": [--"+strings.Join(names, "] [--")+"]")
		}
	}
	return strings.Join(lines, "\n")
}

// Open returns a sampler of the saved prior, by its kind's Open.
func (s *Saved) Open(b backends.Backend, opt OpenOptions) (Sampler, error) {
	k, ok := Lookup(s.Config.Kind)
	if !ok {
		return nil, fmt.Errorf("%s: a %q prior, which this latent does not know", s.Ckpt.Path, s.Config.Kind)
	}
	return k.Open(s, b, opt)
}

// Usable is nil when this latent can open the saved prior, else why not
// (its kind's Kind.Usable: one saved in an earlier layout of the kind's
// network, naming its file and saying to fit it again).
func (s *Saved) Usable() error {
	if k, ok := Lookup(s.Config.Kind); ok && k.Usable != nil {
		return k.Usable(s)
	}
	return nil
}

// SamplerFunc makes a sampler of a function that needs no closing.
type SamplerFunc func(n int, seed int64, temperature float64, labels []int) ([]float32, error)

// Sample calls f.
func (f SamplerFunc) Sample(n int, seed int64, temperature float64, labels []int) ([]float32, error) {
	return f(n, seed, temperature, labels)
}

// Close does nothing.
func (f SamplerFunc) Close() {}

// progress returns j's reporter for a fit of steps, or nil.
func (j Job) progress(what string, steps int64) func(done, total int64, loss float64) {
	if j.Progress == nil {
		return nil
	}
	return j.Progress(what, steps)
}

// Of are the flags kind defines, as it defines them.
func (f *FitFlags) Of(kind string) []string {
	var out []string
	for _, name := range f.order {
		if slices.Contains(f.owners[name], kind) {
			out = append(out, name)
		}
	}
	return out
}
