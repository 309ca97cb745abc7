package vae

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/score"
)

// AllPriors is ScoredPriors' name for N(0, I) and every fitted prior.
const AllPriors = "all"

// ScoreOptions say what Score measures.
type ScoreOptions struct {
	// Features names the feature network: a file written by latent
	// features train, a run folder whose labelled data set gives one, or
	// "" for the run's data set's own.
	Features string
	// Priors are the priors whose samples are scored, a row each; nil:
	// those Prior names (a --prior value or AllPriors, see ScoredPriors).
	Priors []string
	Prior  string
	// Steps are the sampling steps of a prior that samples in steps.
	Steps int
	// N is the samples of each row (at least 2).
	N int
	// Seed seeds the samples' codes and KID's subsets.
	Seed int64
	// Temperature is the codes' temperature.
	Temperature float64
}

// Report is what Score measures: a row per set of images.
type Report struct {
	Run         string   `json:"run"`                    // the run folder
	Step        int64    `json:"step"`                   // its checkpoint's training step
	Features    string   `json:"features"`               // the feature network's name
	Accuracy    float64  `json:"features_test_accuracy"` // the feature network's test accuracy
	Classes     []string `json:"classes"`                // the feature network's classes
	Reference   int      `json:"test_images"`            // the test images every row is scored against
	Seed        int64    `json:"seed"`                   // ScoreOptions.Seed
	Temperature float64  `json:"temperature"`            // ScoreOptions.Temperature
	Rows        []Row    `json:"rows"`                   // a row per set of images
	// Skipped are the fitted priors not scored (ScoredPriors), with why.
	Skipped []Skipped `json:"skipped,omitempty"`
}

// Row is one set's scores against the test split.
type Row struct {
	Name      string    `json:"name"`          // the set: "samples: PRIOR", "perfect prior", …
	N         int       `json:"n"`             // its images
	FID       float64   `json:"fid"`           // Fréchet distance of the features
	KID       float64   `json:"kid"`           // kernel inception distance (unbiased MMD²), mean over subsets
	KIDStd    float64   `json:"kid_std"`       // KID's standard deviation over subsets
	Precision float64   `json:"precision"`     // share of the set inside the test split's k-NN balls
	Recall    float64   `json:"recall"`        // share of the test split inside the set's k-NN balls
	Shares    []float64 `json:"class_shares"`  // share of the set the feature network puts in each class
	Entropy   float64   `json:"class_entropy"` // entropy of Shares, in nats
	// Temperature is what a prior's samples were drawn at (its chosen one
	// unless --temperature was given); absent for the other rows.
	Temperature float64 `json:"temperature,omitempty"`
}

// ScoredPriors are the priors whose samples the --prior value name asks to
// score: the latent kind's default prior (N(0, I), or uniform for a grid)
// then every fitted prior that this latent can open for AllPriors
// (UsablePriors, which also returns those skipped, with why), else the
// one named (auto resolved), the default prior by its name
// (prior.Baseline); named, a prior this latent cannot open is an error
// saying why.
func (s *Session) ScoredPriors(name string) ([]string, []Skipped, error) {
	if name == AllPriors {
		return s.UsablePriors()
	}
	if err := s.uniformFits(name); err != nil {
		return nil, nil, err
	}
	kind, err := prior.Resolve(s.Run.Dir, name)
	if err != nil {
		return nil, nil, fmt.Errorf("--prior %s: %w", name, err)
	}
	if kind == prior.Normal {
		kind = prior.Baseline(s.Model.Kind())
	}
	why, err := s.unusable(kind)
	if err != nil {
		return nil, nil, err
	}
	if why != nil {
		return nil, nil, fmt.Errorf("--prior %s: %w", name, why)
	}
	return []string{kind}, nil, nil
}

// scorer is one Score: the feature extractor and the test split's
// reference.
type scorer struct {
	s       *Session
	ext     *features.Extractor
	ref     *score.Reference
	refName string // the split the reference is of: "test split" for Score
	classes int
}

// Check checks the options' values, each error an *ArgError naming its
// flag: N, Temperature, and Prior with Steps unless Prior is AllPriors.
func (o ScoreOptions) Check() error {
	if o.N < 2 || o.N > MaxImages {
		return argErrorf("-n %d: want 2 to %d (scores need at least two samples)", o.N, MaxImages)
	}
	if err := CheckTemperature(o.Temperature); err != nil {
		return err
	}
	if o.Prior != AllPriors && o.Prior != "" {
		return CheckPrior(o.Prior, o.Steps)
	}
	return nil
}

// Score measures the run's samples (o.N codes from each of o.Priors), a
// perfect prior's samples, its reconstructions of the test split and o.N
// training images against the test split, in the features of the network
// o.Features names, with progress on Log, after checking o. With o.Priors
// nil, a fitted prior this latent cannot draw for the run (UsablePriors)
// is not scored: o.Prior AllPriors lists it in Report.Skipped, with why;
// named, it is an error.
func (s *Session) Score(o ScoreOptions) (Report, error) {
	if err := o.Check(); err != nil {
		return Report{}, err
	}
	var skipped []Skipped
	var err error
	if o.Priors == nil {
		if o.Priors, skipped, err = s.ScoredPriors(o.Prior); err != nil {
			return Report{}, err
		}
	}
	set, err := s.DataSet("", "the run's data set")
	if err != nil {
		return Report{}, err
	}
	net, name, err := s.featureNet(o.Features, set)
	if err != nil {
		return Report{}, err
	}
	sc, err := s.newScorer(net, name, set.Test, score.Options{Seed: uint64(o.Seed)})
	if err != nil {
		return Report{}, err
	}
	defer sc.ext.Finalize()
	rep := Report{Run: s.Run.Dir, Step: s.Run.Step, Features: name, Accuracy: net.Accuracy, Classes: net.Classes,
		Reference: set.Test.N, Seed: o.Seed, Temperature: o.Temperature, Skipped: skipped}
	for _, st := range s.scoredSets(o, set) {
		var temperature float64
		images, err := st.images(&temperature)
		if err != nil {
			return Report{}, fmt.Errorf("%s: %w", st.name, err)
		}
		row, err := sc.row(st.name, images)
		if err != nil {
			return Report{}, err
		}
		row.Temperature = temperature
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// newScorer returns the scorer of images against test in the features
// of net (named name), its reference prepared with opt; the caller
// finalizes its extractor.
func (s *Session) newScorer(net *features.Net, name string, test *data.Split, opt score.Options) (scorer, error) {
	m := s.Model
	if net.Height != m.Height || net.Width != m.Width || net.Channels != m.Channels {
		return scorer{}, fmt.Errorf("feature network %s takes %dx%dx%d images, the run makes %dx%dx%d",
			name, net.Height, net.Width, net.Channels, m.Height, m.Width, m.Channels)
	}
	ext, err := net.NewExtractor(s.Backend)
	if err != nil {
		return scorer{}, err
	}
	sc := scorer{s: s, ext: ext, refName: "test split", classes: len(net.Classes)}
	if sc.ref, err = sc.reference(test, opt); err != nil {
		ext.Finalize()
		return scorer{}, err
	}
	return sc, nil
}

// reference prepares split's features for comparisons.
func (sc scorer) reference(split *data.Split, opt score.Options) (*score.Reference, error) {
	realFeats, _, err := sc.s.extract(sc.ext, sc.refName, split.Images())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	ref, err := score.NewReference(realFeats, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.refName, err)
	}
	fmt.Fprintf(sc.s.Log, "%s: reference prepared in %.1fs\n", sc.refName, time.Since(start).Seconds())
	return ref, nil
}

// scoredSet is one row's images, made when scored; a prior's row sets
// *temperature to the one its samples were drawn at.
type scoredSet struct {
	name   string
	images func(temperature *float64) ([]float32, error)
}

// scoredSets are Score's rows: each prior's samples, the perfect prior's,
// the reconstructions and the training split. The rows that encode images
// (the perfect prior, the reconstructions) encode them as the run learned
// from them (rundir.Config.TrainPixels, TestPixels); every row is scored
// against the grey test split, which a decoder's means are comparable to.
func (s *Session) scoredSets(o ScoreOptions, set *data.Set) []scoredSet {
	var sets []scoredSet
	for _, kind := range o.Priors {
		sets = append(sets, scoredSet{"samples: " + kind, func(temperature *float64) ([]float32, error) {
			c, _, err := s.OpenSampler(kind, o.Steps, generate.BatchFor(o.N))
			if err != nil {
				return nil, err
			}
			defer c.Close()
			*temperature = resolvedTemperature(c, o.Temperature)
			return s.samplesOf(c, o.N, o.Seed, *temperature)
		}})
	}
	return append(sets, []scoredSet{
		{"perfect prior", func(*float64) ([]float32, error) { return s.PerfectPrior(set.Train, o.N, o.Seed) }},
		{"reconstructions", func(*float64) ([]float32, error) {
			return s.Reconstructions(s.Run.Config.TestPixels(set.Test), set.Test.Labels)
		}},
		{"training split", func(*float64) ([]float32, error) { return set.Train.Subset(o.N).Images(), nil }},
	}...)
}

// row scores one set of images against the reference.
func (sc scorer) row(name string, images []float32) (Row, error) {
	feats, pred, err := sc.s.extract(sc.ext, name, images)
	if err != nil {
		return Row{}, err
	}
	start := time.Now()
	fmt.Fprintf(sc.s.Log, "%s: scoring against the %s (FID, KID, precision/recall)…\n", name, sc.refName)
	c, err := sc.ref.Compare(feats)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", name, err)
	}
	cov, err := score.ClassCoverage(pred, sc.classes)
	if err != nil {
		return Row{}, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(sc.s.Log, "%s: scored in %.1fs\n", name, time.Since(start).Seconds())
	return Row{Name: name, N: c.N, FID: c.FID, KID: c.KID, KIDStd: c.KIDStd, Precision: c.Precision,
		Recall: c.Recall, Shares: cov.Shares, Entropy: cov.Entropy}, nil
}

// extract returns the features and predicted classes of images, with
// progress on Log.
func (s *Session) extract(ext *features.Extractor, name string, images []float32) (score.Features, []int, error) {
	progress := NewProgress(s.Log)
	size := s.Model.Height * s.Model.Width * s.Model.Channels
	progress("features of the "+name, 0, len(images)/size)
	feats, pred, err := ext.Extract(images, func(done, total int) { progress("features of the "+name, done, total) })
	if err != nil {
		return score.Features{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	f, err := score.NewFeatures(feats, len(pred), features.Dim)
	if err != nil {
		return score.Features{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, pred, nil
}

// Reconstructions returns the run's reconstructions of images (NHWC in
// [0, 1], with their labels): each image's posterior mean, decoded, as
// values in [0, 1] rounded to bytes like a sample. Score passes the test
// split as the run's training scored it (rundir.Config.TestPixels:
// binarized for a run trained on binarized images).
func (s *Session) Reconstructions(images []float32, labels []int) ([]float32, error) {
	codes, err := s.Encode(images, labels)
	if err != nil {
		return nil, err
	}
	return s.decodeCodes(codes, labels)
}

// PerfectPrior returns n samples of a perfect prior: images of train (the
// training split) picked at random (with replacement, by seed), each as
// the run learned from it (rundir.Config.TrainPixels: binarized with the
// run's seed for a run trained on binarized images), encoded, and one
// posterior draw of its code decoded. They sample the aggregate posterior
// that latent prior fit fits (PriorCodes encodes the training split the
// same way; binarized, the picked images are Bernoulli draws of their own,
// not the fit's draws of the same images), so a fitted prior's samples
// score at best about as well.
func (s *Session) PerfectPrior(train *data.Split, n int, seed int64) ([]float32, error) {
	picked := perfectPick(train, n, seed)
	return s.PosteriorDraws(s.Run.Config.TrainPixels(picked), picked.Labels, seed)
}

// perfectPick is the perfect prior's n images of train, picked at random
// with replacement by seed.
func perfectPick(train *data.Split, n int, seed int64) *data.Split {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x70726f72)) // "pror"
	picked := make([]int, n)
	for i := range picked {
		picked[i] = rng.IntN(train.N)
	}
	return train.Pick(picked)
}

// PosteriorDraws returns one posterior draw of each image's code (images
// NHWC in [0, 1], with their labels; drawn with seed), decoded.
func (s *Session) PosteriorDraws(images []float32, labels []int, seed int64) ([]float32, error) {
	m, err := s.EvalModel(1000)
	if err != nil {
		return nil, err
	}
	codes, err := m.Codes(images, labels, 1, seed, 1)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	return s.decodeCodes(codes, labels)
}

// decodeCodes decodes codes (with their images' labels, which a
// conditional run takes) to values in [0, 1], as bytes like a sample.
func (s *Session) decodeCodes(codes []float32, labels []int) ([]float32, error) {
	if !s.Model.Conditional() {
		labels = nil
	}
	return unitImages(s.SampleImages(codes, labels))
}

// unitImages returns pixels as values in [0, 1], as a split's images are.
func unitImages(pixels []uint8, err error) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	sp := data.Split{Pixels: pixels}
	return sp.Images(), nil
}
