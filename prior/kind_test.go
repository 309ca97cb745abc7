package prior

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/latent-vae/latent/models"
)

// TestRegistry: every kind is registered once, with all its parts, a rank
// of its own and flags no other kind defines; the lists follow the ranks.
func TestRegistry(t *testing.T) {
	names, ranks := map[string]bool{}, map[int]string{}
	for _, k := range Registered() {
		if names[k.Name] {
			t.Errorf("kind %q registered twice", k.Name)
		}
		names[k.Name] = true
		if other, ok := ranks[k.Rank]; ok {
			t.Errorf("kinds %q and %q share rank %d", other, k.Name, k.Rank)
		}
		ranks[k.Rank] = k.Name
		if k.Flags == nil || k.Open == nil || k.Describe == nil || k.Help == "" || k.Draws < 1 {
			t.Errorf("kind %q lacks a part: %+v", k.Name, k)
		}
		if got, ok := Lookup(k.Name); !ok || got.Name != k.Name {
			t.Errorf("Lookup(%q) = %v, %v", k.Name, got.Name, ok)
		}
	}
	kinds := Kinds() // best first
	if !slices.IsSortedFunc(kinds, func(a, b string) int { ka, _ := Lookup(a); kb, _ := Lookup(b); return kb.Rank - ka.Rank }) ||
		len(kinds) != len(names) || slices.Index(kinds, KindDiffusion) > slices.Index(kinds, KindGMM) {
		t.Errorf("Kinds() = %v: want every kind, best (highest rank) first, diffusion before gmm", kinds)
	}
	if got := Names(); !slices.Equal(got[:3], []string{Auto, Normal, Uniform}) || !slices.Equal(got[3:], KindNames()) {
		t.Errorf("Names() = %v", got)
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	f := DefineFitFlags(fs) // a flag defined twice panics
	for _, k := range Registered() {
		if f.Recipes[k.Name] == nil {
			t.Errorf("kind %q defined no recipe", k.Name)
		}
		for _, name := range f.Of(k.Name) {
			if flagName, owner := f.Foreign(k.Name, map[string]bool{name: true}); flagName != "" {
				t.Errorf("--%s of %s is taken as %s's", name, k.Name, owner)
			}
			for _, other := range Registered() {
				shared := slices.Contains(f.Of(other.Name), name)
				flagName, owner := f.Foreign(other.Name, map[string]bool{name: true})
				switch {
				case shared && flagName != "":
					t.Errorf("--kind %s --%s: refused as %s's, but %s defines it too", other.Name, name, owner, other.Name)
				case !shared && (flagName != name || owner != Either(definers(f, name))):
					t.Errorf("--kind %s --%s: refused as %q of %q, want the flag of a kind that defines it", other.Name, name, flagName, owner)
				}
			}
		}
	}
	if got := f.Of(KindGMM); !slices.Equal(got, []string{"components"}) {
		t.Errorf("gmm's flags %v, want [components]", got)
	}
	if got := f.Of(KindTransformer); !slices.Contains(got, "steps") || !slices.Contains(got, "layers") || slices.Contains(f.Of(KindDiffusion), "layers") {
		t.Errorf("transformer's flags %v, diffusion's %v: want --steps shared, --layers the transformer's only", got, f.Of(KindDiffusion))
	}
	defer func() {
		if recover() == nil {
			t.Error("a kind registered twice did not panic")
		}
	}()
	register(Kind{Name: KindGMM})
}

// kindNamers are what names a kind in code: its name as a string, and the
// identifiers of one kind's API.
var kindNamers = regexp.MustCompile(`\bprior\.(Kind[A-Z]\w*|Mixtures|FitMixtures|FitDiffusion|FitGaussians|FitGMM|GMM|Diffusion|DiffusionConfig|DefaultDiffusion|NewDiffusion|WarmupSteps|FitTransformer|Transformer|TransformerConfig|TransformerRecipe|DefaultTransformer|NewTransformer)\b`)

// kindNameAllowed are string literals of a kind's name outside prior/ that
// mean something else.
var kindNameAllowed = map[string][]string{
	"models/config.go":          {"gaussian"}, // the likelihood of that name
	"models/latent_gaussian.go": {"gaussian"}, // the latent kind of that name
}

// TestNoKindOutsidePrior: no non-test Go file outside prior/ (and the
// vendored third_party/) names a prior kind, as a string or through a
// kind's own API: a new kind is a file in prior/, and every command takes
// it from the registry.
func TestNoKindOutsidePrior(t *testing.T) {
	root := ".."
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "prior" || rel == "third_party" || strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if m := kindNamers.FindString(line); m != "" && m != "prior.KindNames" {
				found = append(found, rel+":"+strconv.Itoa(i+1)+": "+m)
			}
			for _, k := range KindNames() {
				if strings.Contains(line, `"`+k+`"`) && !slices.Contains(kindNameAllowed[filepath.ToSlash(rel)], k) {
					found = append(found, rel+":"+strconv.Itoa(i+1)+": "+`"`+k+`"`)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s names a prior kind outside prior/: take it from the registry (prior.Lookup, prior.Registered)", f)
	}
}

// gridStub is a discrete latent kind (a 2×2 grid of indices into 3 codes),
// unregistered: what CheckLatent is asked about.
type gridStub struct{ models.LatentKind }

func (gridStub) Code() shapes.Shape { return shapes.Make(dtypes.Int32, 2, 2) }
func (gridStub) Describe() string   { return "a 2×2 grid of indices into 3 codes" }

// TestCheckLatentRefusesAnotherLatentKind: every registered continuous kind
// fits the Gaussian latent and refuses a grid of indices in one line
// naming itself and the latent; every discrete kind (the transformer) the
// other way round.
func TestCheckLatentRefusesAnotherLatentKind(t *testing.T) {
	gaussian := models.Config{Latent: 4}.Kind()
	for _, k := range Registered() {
		fits, refuses, want, what := models.LatentKind(gaussian), models.LatentKind(gridStub{}), "continuous", "a 2×2 grid"
		if k.Discrete {
			fits, refuses, want, what = refuses, fits, "discrete", "4 latent dimensions"
		}
		if err := k.CheckLatent(fits); err != nil {
			t.Errorf("%s on %s: %v", k.Name, fits.Describe(), err)
		}
		err := k.CheckLatent(refuses)
		if err == nil || strings.Contains(err.Error(), "\n") ||
			!strings.Contains(err.Error(), "a "+k.Name+" prior fits "+want+" codes") || !strings.Contains(err.Error(), what) {
			t.Errorf("%s on %s: %v; want one line naming the kind, %s codes and the latent", k.Name, what, err, want)
		}
	}
	if k, ok := Lookup(KindTransformer); !ok || !k.Discrete {
		t.Errorf("the transformer kind is not registered as discrete")
	}
	discrete := Kind{Name: "pixelcnn", Discrete: true}
	if err := discrete.CheckLatent(gridStub{}); err != nil {
		t.Errorf("a discrete kind on a grid: %v", err)
	}
	if err := discrete.CheckLatent(gaussian); err == nil || !strings.Contains(err.Error(), "fits discrete codes") {
		t.Errorf("a discrete kind on the Gaussian latent: %v; want a refusal", err)
	}
}

// TestSharedFitFlag: a flag two kinds define (--steps) sets both kinds'
// recipes when given, and each keeps its own default when not; a shared
// boolean flag (--resume) takes no value.
func TestSharedFitFlag(t *testing.T) {
	for _, tc := range []struct {
		args                   []string
		diffusion, transformer int64
		resume                 bool
	}{
		{nil, DefaultDiffusion().Steps, DefaultTransformer().Steps, false},
		{[]string{"-steps", "7", "-resume"}, 7, 7, true},
	} {
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		f := DefineFitFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		d, tr := f.Recipes[KindDiffusion].(*diffusionRecipe), f.Recipes[KindTransformer].(*transformerRecipe)
		if d.cfg.Steps != tc.diffusion || tr.cfg.Steps != tc.transformer || d.Resume() != tc.resume || tr.Resume() != tc.resume {
			t.Errorf("%q: diffusion %d steps (resume %v), transformer %d (resume %v); want %d, %d, resume %v",
				tc.args, d.cfg.Steps, d.Resume(), tr.cfg.Steps, tr.Resume(), tc.diffusion, tc.transformer, tc.resume)
		}
	}
}

// definers are the kinds that define the fit flag name, by rank.
func definers(f *FitFlags, name string) []string {
	var out []string
	for _, k := range KindNames() {
		if slices.Contains(f.Of(k), name) {
			out = append(out, k)
		}
	}
	return out
}

// TestFitFlagsSynopsis: the help's synopsis of the kinds' own flags has
// a line for each kind that has any, naming each of them, and none for a
// kind without.
func TestFitFlagsSynopsis(t *testing.T) {
	f := DefineFitFlags(flag.NewFlagSet("", flag.ContinueOnError))
	lines := strings.Split(f.Synopsis(), "\n")
	want := 0
	for _, k := range KindNames() {
		names := f.Of(k)
		i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "  "+k+": ") })
		if len(names) == 0 {
			if i >= 0 {
				t.Errorf("kind %s has no flags of its own, yet a line %q", k, lines[i])
			}
			continue
		}
		want++
		if i < 0 {
			t.Errorf("no line for kind %s in %q", k, lines)
			continue
		}
		for _, n := range names {
			if !strings.Contains(lines[i], "[--"+n+"]") {
				t.Errorf("kind %s's line %q does not name --%s", k, lines[i], n)
			}
		}
	}
	if len(lines) != want || want == 0 {
		t.Errorf("%d lines for %d kinds with flags: %q", len(lines), want, lines)
	}
	if !slices.Contains(lines, "  gmm: [--components]") {
		t.Errorf("synopsis %q lacks gmm's line", lines)
	}
}
