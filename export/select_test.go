package export

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/prior"
)

// TestParsePriors: all is nil, none is empty, a list keeps each kind once
// in its order; an unknown kind is refused naming --priors.
func TestParsePriors(t *testing.T) {
	kinds := prior.KindNames()
	if len(kinds) < 2 {
		t.Fatalf("prior kinds %v: want at least two to list", kinds)
	}
	list := kinds[1] + ", " + kinds[0] + "," + kinds[1]
	for _, c := range []struct {
		v    string
		want []string
		err  string
	}{
		{PriorsAll, nil, ""},
		{PriorsNone, []string{}, ""},
		{list, []string{kinds[1], kinds[0]}, ""},
		{kinds[0] + ",bogus", nil, `--priors ` + kinds[0] + `,bogus: unknown prior "bogus"`},
	} {
		got, err := ParsePriors(c.v)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePriors(%q): %v, want an error with %q", c.v, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("ParsePriors(%q) = %#v, %v; want %#v", c.v, got, err, c.want)
		}
	}
}

// TestFittedPriorsOfAnEmptyRun: all of a run with no fitted prior is
// none; a kind named that is not fitted is refused naming --priors.
func TestFittedPriorsOfAnEmptyRun(t *testing.T) {
	dir := t.TempDir()
	got, err := FittedPriors(dir, PriorsAll, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("FittedPriors(all) of an empty folder = %v, %v; want none", got, err)
	}
	k := prior.KindNames()[0]
	if _, err := FittedPriors(dir, k, []string{k}); err == nil || !strings.HasPrefix(err.Error(), "--priors "+k+": ") {
		t.Errorf("FittedPriors(%s) of a run without it: %v, want an error naming --priors", k, err)
	}
}

// TestAllLeavesOutUnexportablePriors: all of a run with a gmm and a
// transformer prior fitted (checkpoint files present) is the gmm alone,
// and Unexported names the transformer; naming the transformer still
// selects it (and export then refuses it in one line).
func TestAllLeavesOutUnexportablePriors(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{prior.KindGMM, prior.KindTransformer} {
		if err := os.MkdirAll(prior.Dir(dir, k), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(prior.Dir(dir, k), "ckpt-0000000001.latent"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FittedPriors(dir, PriorsAll, nil)
	if err != nil || !slices.Equal(got, []string{prior.KindGMM}) {
		t.Errorf("FittedPriors(all) = %v, %v; want the gmm alone", got, err)
	}
	if got := Unexported(dir); !slices.Equal(got, []string{prior.KindTransformer}) {
		t.Errorf("Unexported = %v, want the transformer", got)
	}
	if got, err := FittedPriors(dir, prior.KindTransformer, []string{prior.KindTransformer}); err != nil || !slices.Equal(got, []string{prior.KindTransformer}) {
		t.Errorf("FittedPriors(transformer) = %v, %v; want it", got, err)
	}
}
