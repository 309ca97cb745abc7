package vae

import (
	"io"
	"slices"
	"testing"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/rundir"
)

// TestScoredRowsEncodeAsTrained: the rows of `latent score` that encode
// images encode them as the run learned from them: a run trained on
// binarized images has its perfect prior's training images binarized
// with the run's seed and its reconstructed test images binarized as
// training's test columns are (rundir.TestBinarizeSeed); a grey run's
// rows encode the grey images, as before.
func TestScoredRowsEncodeAsTrained(t *testing.T) {
	s := open(t, tinyRun(t), io.Discard)
	set, err := s.DataSet("", "data set")
	if err != nil {
		t.Fatal(err)
	}
	const n, seed, runSeed = 6, 3, 7
	picked := perfectPick(set.Train, n, seed)
	rows := func(binarize bool) map[string][]float32 {
		s.Run.Config.Data.Binarize, s.Run.Config.Seed = binarize, runSeed
		out := map[string][]float32{}
		for _, st := range s.scoredSets(ScoreOptions{N: n, Seed: seed}, set) {
			if st.name == "perfect prior" || st.name == "reconstructions" {
				if out[st.name], err = st.images(new(float64)); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
			}
		}
		return out
	}
	want := func(binarize func(images []float32, seed int64) []float32) map[string][]float32 {
		draws, err := s.PosteriorDraws(binarize(picked.Images(), runSeed), picked.Labels, seed)
		if err != nil {
			t.Fatal(err)
		}
		recon, err := s.Reconstructions(binarize(set.Test.Images(), rundir.TestBinarizeSeed), set.Test.Labels)
		if err != nil {
			t.Fatal(err)
		}
		return map[string][]float32{"perfect prior": draws, "reconstructions": recon}
	}
	grey := want(func(images []float32, _ int64) []float32 { return images })
	binarized := want(data.Binarize)
	tests := []struct {
		name     string
		binarize bool
		want     map[string][]float32
	}{
		{"grey run", false, grey},
		{"binarized run", true, binarized},
	}
	for _, tc := range tests {
		got := rows(tc.binarize)
		for _, row := range []string{"perfect prior", "reconstructions"} {
			if slices.Equal(grey[row], binarized[row]) {
				t.Fatalf("%s: grey and binarized images give the same images: the test cannot tell them apart", row)
			}
			if !slices.Equal(got[row], tc.want[row]) {
				t.Errorf("%s, %s: not the images of the run's pixels as trained (the grey ones' %v)", tc.name, row, slices.Equal(got[row], grey[row]))
			}
		}
	}
}
