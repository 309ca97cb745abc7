package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latent-vae/latent/backend"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/score"
)

// defaultScoreN is how many samples `latent score` draws by default, as
// FID's literature does.
const defaultScoreN = 10000

// runScore implements `latent score`: FID, KID, precision/recall and class
// coverage of a run's samples against the test split, beside a perfect
// prior's samples (decoded posterior draws of random training images), the run's
// reconstructions of the test split and the training split (the floor);
// and, with --train-features, training a feature network.
func runScore(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", "--run DIR [-n 10000] [--seed S] [--temperature T] [--prior all|normal|"+strings.Join(prior.KindNames(), "|")+"] [--features FILE|RUN] [--json] [--backend B]\n"+
		"       latent score --train-features DATA -o FILE.safetensors [--backend B]\n\n"+
		"  Scores are measured in the features of a small classifier trained by latent (MNIST's ships with latent;\n"+
		"  another labelled set gets one on first use, cached in ~/.cache/latent/features): latent's own scale,\n"+
		"  not comparable with the Inception FIDs of papers; ratios between rows are.", stderr)
	run := runFlag(fs)
	backendName := backendFlag(fs)
	n := fs.Int("n", defaultScoreN, "number of samples (at least 2)")
	seed := fs.Int64("seed", 1, "seed of the samples' latents and of KID's subsets")
	temperature := fs.Float64("temperature", 1, "standard deviation of the latents")
	priorName := fs.String("prior", scoreAllPriors, "priors whose samples are scored, a row each: all (N(0, I) and every prior fitted to the run), "+
		"normal, "+prior.Either(prior.KindNames()))
	priorSteps := fs.Int("prior-steps", defaultPriorSteps, "sampling steps of a fitted prior that samples in steps (DDIM)")
	featArg := fs.String("features", "", "feature network: a file written by --train-features, or a run folder whose labelled data set gives one "+
		"(default: the run's data set's own; give one for a data set without labels)")
	asJSON := fs.Bool("json", false, "print the scores as JSON on stdout")
	trainSet := fs.String("train-features", "", "train a feature network on the labelled data set DATA by latent's recipe and write it to -o")
	out := fs.String("o", "", "with --train-features: the .safetensors file to write")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *trainSet != "" {
		if *run != "" || *featArg != "" {
			return usagef("--train-features: give it with -o only, not with --run or --features")
		}
		return trainFeatures(*trainSet, *out, *backendName, stdout, stderr)
	}
	switch {
	case *run == "":
		return usagef("--run: a run folder is required")
	case *out != "":
		return usagef("-o: only --train-features writes a file")
	case *n < 2 || *n > maxGenImages:
		return usagef("-n %d: want 2 to %d (scores need at least two samples)", *n, maxGenImages)
	}
	if err := checkTemperature(*temperature); err != nil {
		return err
	}
	if *priorName != scoreAllPriors {
		if err := (priorFlags{name: priorName, steps: priorSteps}).check(); err != nil {
			return err
		}
	}
	s, err := openSession(*run, *backendName, stderr)
	if err != nil {
		return err
	}
	defer s.close()
	priors, err := s.scoredPriors(*priorName)
	if err != nil {
		return err
	}
	rows, err := s.scores(*featArg, priors, *priorSteps, *n, *seed, *temperature)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeScoresJSON(stdout, rows)
	}
	printScores(stdout, rows)
	return nil
}

// scoreReport is what `latent score` prints.
type scoreReport struct {
	Run         string     `json:"run"`
	Step        int64      `json:"step"`
	Features    string     `json:"features"`
	Accuracy    float64    `json:"features_test_accuracy"`
	Classes     []string   `json:"classes"`
	Reference   int        `json:"test_images"`
	Seed        int64      `json:"seed"`
	Temperature float64    `json:"temperature"`
	Rows        []scoreRow `json:"rows"`
}

// scoreRow is one set's scores against the test split.
type scoreRow struct {
	Name      string    `json:"name"`
	N         int       `json:"n"`
	FID       float64   `json:"fid"`
	KID       float64   `json:"kid"`
	KIDStd    float64   `json:"kid_std"`
	Precision float64   `json:"precision"`
	Recall    float64   `json:"recall"`
	Shares    []float64 `json:"class_shares"`
	Entropy   float64   `json:"class_entropy"`
}

// scoreAllPriors is score's --prior for N(0, I) and every fitted prior.
const scoreAllPriors = "all"

// scoredPriors are the priors whose samples score's --prior value name
// asks for: N(0, I) then every fitted prior for "all", else the one named
// (auto resolved).
func (s *session) scoredPriors(name string) ([]string, error) {
	if name != scoreAllPriors {
		kind, err := prior.Resolve(s.run.Dir, name)
		if err != nil {
			return nil, fmt.Errorf("--prior %s: %w", name, err)
		}
		return []string{kind}, nil
	}
	return prior.Available(s.run.Dir), nil
}

// scores measures the run's samples (n codes from each of priors, drawn
// in steps steps by a prior that takes steps), a perfect prior's samples,
// its reconstructions of the test split and n training images against the test split, in the
// features of the network featArg names (or the data set's own).
func (s *session) scores(featArg string, priors []string, steps, n int, seed int64, temperature float64) (scoreReport, error) {
	set, err := s.dataSet("", "the run's data set")
	if err != nil {
		return scoreReport{}, err
	}
	net, name, err := s.featureNet(featArg, set)
	if err != nil {
		return scoreReport{}, err
	}
	m := s.cfg
	if net.Height != m.Height || net.Width != m.Width || net.Channels != m.Channels {
		return scoreReport{}, fmt.Errorf("feature network %s takes %dx%dx%d images, the run makes %dx%dx%d",
			name, net.Height, net.Width, net.Channels, m.Height, m.Width, m.Channels)
	}
	ext, err := net.NewExtractor(s.b)
	if err != nil {
		return scoreReport{}, err
	}
	defer ext.Finalize()
	rep := scoreReport{Run: s.run.Dir, Step: s.run.Step, Features: name, Accuracy: net.Accuracy, Classes: net.Classes,
		Reference: set.Test.N, Seed: seed, Temperature: temperature}
	realFeats, _, err := s.extract(ext, "test split", set.Test.Images())
	if err != nil {
		return scoreReport{}, err
	}
	start := time.Now()
	ref, err := score.NewReference(realFeats, score.Options{Seed: uint64(seed)})
	if err != nil {
		return scoreReport{}, fmt.Errorf("test split: %w", err)
	}
	fmt.Fprintf(s.stderr, "test split: reference prepared in %.1fs\n", time.Since(start).Seconds())
	type scoredSet struct {
		name   string
		images func() ([]float32, error)
	}
	var sets []scoredSet
	for _, kind := range priors {
		sets = append(sets, scoredSet{"samples: " + kind, func() ([]float32, error) {
			c, _, err := s.openSampler(kind, steps, generate.BatchFor(n))
			if err != nil {
				return nil, err
			}
			defer c.Close()
			labels := sampleLabels(m, n)
			codes, err := c.Sample(n, seed, temperature, labels)
			if err != nil {
				return nil, err
			}
			return unitImages(s.sampleImages(codes, labels))
		}})
	}
	sets = append(sets, []scoredSet{
		{"perfect prior", func() ([]float32, error) { return s.perfectPrior(set.Train, n, seed) }},
		{"reconstructions", func() ([]float32, error) { return s.reconstructions(set.Test) }},
		{"training split", func() ([]float32, error) { return set.Train.Subset(n).Images(), nil }},
	}...)
	for _, st := range sets {
		images, err := st.images()
		if err != nil {
			return scoreReport{}, fmt.Errorf("%s: %w", st.name, err)
		}
		row, err := s.scoreRow(ext, ref, st.name, images, len(net.Classes))
		if err != nil {
			return scoreReport{}, err
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// scoreRow scores one set of images against ref.
func (s *session) scoreRow(ext *features.Extractor, ref *score.Reference, name string, images []float32, classes int) (scoreRow, error) {
	feats, pred, err := s.extract(ext, name, images)
	if err != nil {
		return scoreRow{}, err
	}
	start := time.Now()
	fmt.Fprintf(s.stderr, "%s: scoring against the test split (FID, KID, precision/recall)…\n", name)
	sc, err := ref.Compare(feats)
	if err != nil {
		return scoreRow{}, fmt.Errorf("%s: %w", name, err)
	}
	cov, err := score.ClassCoverage(pred, classes)
	if err != nil {
		return scoreRow{}, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(s.stderr, "%s: scored in %.1fs\n", name, time.Since(start).Seconds())
	return scoreRow{Name: name, N: sc.N, FID: sc.FID, KID: sc.KID, KIDStd: sc.KIDStd, Precision: sc.Precision,
		Recall: sc.Recall, Shares: cov.Shares, Entropy: cov.Entropy}, nil
}

// extract returns the features and predicted classes of images, with
// progress on stderr.
func (s *session) extract(ext *features.Extractor, name string, images []float32) (score.Features, []int, error) {
	progress := newProgress(s.stderr)
	size := s.cfg.Height * s.cfg.Width * s.cfg.Channels
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

// reconstructions returns the run's reconstructions of split: each image's
// posterior mean, decoded, as bytes like a sample.
func (s *session) reconstructions(split *data.Split) ([]float32, error) {
	codes, err := s.encode(split.Images(), split.Labels)
	if err != nil {
		return nil, err
	}
	return s.decodeSplit(codes, split)
}

// perfectPrior returns n samples of a perfect prior: images of all picked
// at random (with replacement, by seed), each encoded and one posterior
// draw of its code decoded. Of the training split, they sample the
// aggregate posterior that latent prior fit fits, so a fitted prior's
// samples score at best about as well.
func (s *session) perfectPrior(all *data.Split, n int, seed int64) ([]float32, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x70726f72)) // "pror"
	picked := make([]int, n)
	for i := range picked {
		picked[i] = rng.IntN(all.N)
	}
	return s.posteriorDraws(all.Pick(picked), seed)
}

// posteriorDraws returns one posterior draw of each image of split's code
// (drawn with seed), decoded.
func (s *session) posteriorDraws(split *data.Split, seed int64) ([]float32, error) {
	m, err := s.evalModel(1000)
	if err != nil {
		return nil, err
	}
	codes, err := m.Codes(split.Images(), split.Labels, 1, seed, 1)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.run.Dir, err)
	}
	return s.decodeSplit(codes, split)
}

// decodeSplit decodes the codes of split's images (with their labels for a
// conditional run) to values in [0, 1], as bytes like a sample.
func (s *session) decodeSplit(codes []float32, split *data.Split) ([]float32, error) {
	labels := split.Labels
	if !s.cfg.Conditional() {
		labels = nil
	}
	return unitImages(s.sampleImages(codes, labels))
}

// unitImages returns pixels as values in [0, 1], as a split's images are.
func unitImages(pixels []uint8, err error) ([]float32, error) {
	if err != nil {
		return nil, err
	}
	sp := data.Split{Pixels: pixels}
	return sp.Images(), nil
}

// featureNet returns the feature network featArg names (a file, or a run
// folder whose data set gives one), else that of the run's data set (set,
// as the run loads it), and how to name it.
func (s *session) featureNet(featArg string, set *data.Set) (*features.Net, string, error) {
	if featArg == "" {
		if d := s.run.Config.Data; d.TrainLimit > 0 || d.TestLimit > 0 {
			var err error
			if set, err = loadFullData(d); err != nil {
				return nil, "", fmt.Errorf("the run's data set: %w", err)
			}
		}
		net, err := s.netForSet(set)
		if errors.Is(err, features.ErrUnlabelled) {
			return nil, "", fmt.Errorf("run %s: data set %s has no labels, so latent cannot train a feature network for it; "+
				"give --features FILE_OR_RUN naming one (a file from `latent score --train-features DATA -o FILE`, "+
				"or a run whose data set is labelled)", s.run.Dir, set.Name)
		}
		return net, featureName(set), err
	}
	if info, err := os.Stat(featArg); err == nil && info.IsDir() {
		cfg, err := rundir.ReadConfig(featArg)
		if err != nil {
			return nil, "", fmt.Errorf("--features %s: not a feature file or run folder: %w", featArg, err)
		}
		set, err := loadFullData(cfg.Data)
		if err != nil {
			return nil, "", fmt.Errorf("--features %s: its data set: %w", featArg, err)
		}
		net, err := s.netForSet(set)
		if err != nil {
			return nil, "", fmt.Errorf("--features %s: %w", featArg, err)
		}
		return net, featureName(set), nil
	}
	net, err := features.Load(featArg)
	if err != nil {
		return nil, "", fmt.Errorf("--features: %w", err)
	}
	return net, featArg, nil
}

// featureName names the network of set in the report.
func featureName(set *data.Set) string {
	return "latent's network for " + set.Name
}

// loadFullData loads the data set d names without its limits: a set's
// feature network is that of all its images.
func loadFullData(d rundir.DataConfig) (*data.Set, error) {
	d.TrainLimit, d.TestLimit = 0, 0
	return d.Load()
}

// netForSet returns set's feature network (shipped, cached, or trained now
// with progress on stderr).
func (s *session) netForSet(set *data.Set) (*features.Net, error) {
	dir, err := features.CacheDir()
	if err != nil {
		return nil, err
	}
	return features.ForSet(s.b, set, features.DefaultRecipe, dir, s.stderr, trainProgress(s.stderr, features.DefaultRecipe.Steps))
}

// trainProgress reports a feature network's training steps on stderr: a
// bar on a terminal, else a line every 500 steps, and the time taken.
func trainProgress(stderr io.Writer, steps int) func(done, total int) {
	report := stepProgress(stderr, "training the feature network", steps, 500)
	return func(done, total int) { report(done, total, "") }
}

// stepProgress reports the steps of a training phase on stderr through
// newProgressOf (a bar on a terminal; the time taken at the end) and, when
// stderr is not a terminal, a line every `every` steps, ending with note.
func stepProgress(stderr io.Writer, phase string, steps, every int) func(done, total int, note string) {
	progress := newProgressOf(stderr, "steps")
	progress(phase, 0, steps)
	terminal := isTerminal(stderr)
	return func(done, total int, note string) {
		if !terminal && done%every == 0 && done < total {
			fmt.Fprintf(stderr, "%s: step %d of %d%s\n", phase, done, total, note)
		}
		progress(phase, done, total)
	}
}

// trainFeatures implements --train-features: a feature network trained on
// the data set spec by features.DefaultRecipe, written to out.
func trainFeatures(spec, out, backendName string, stdout, stderr io.Writer) error {
	if _, err := checkOut("-o", out, "safetensors"); err != nil {
		return err
	}
	set, err := data.Load(spec, data.Options{})
	if err != nil {
		return fmt.Errorf("--train-features %s: %w", spec, err)
	}
	b, err := openBackend(backendName, stderr)
	if err != nil {
		return err
	}
	defer b.Finalize()
	return writeFeatureNet(b, set, out, stdout, stderr)
}

// writeFeatureNet trains set's feature network and writes it to out.
func writeFeatureNet(b *backend.Backend, set *data.Set, out string, stdout, stderr io.Writer) error {
	r := features.DefaultRecipe
	net, err := features.Train(b, set, r, trainProgress(stderr, r.Steps))
	if err != nil {
		return fmt.Errorf("--train-features %s: %w", set.Name, err)
	}
	if err := net.Save(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: feature network for %s (%s, seed %d, %d steps of %d), test accuracy %.2f%%\n",
		out, set.Name, r.Architecture, r.Seed, r.Steps, r.Batch, 100*net.Accuracy)
	return nil
}

// printScores prints the report as a table.
func printScores(w io.Writer, r scoreReport) {
	fmt.Fprintf(w, "run %s (step %d): samples at temperature %g, seed %d, against the test split (%d images)\n",
		r.Run, r.Step, r.Temperature, r.Seed, r.Reference)
	fmt.Fprintf(w, "features: %s (test accuracy %.2f%%); latent's own scale, not comparable with Inception FIDs\n\n",
		r.Features, 100*r.Accuracy)
	width := 16 // of the name column: the longest row name (a kind's row may be longer)
	for _, row := range r.Rows {
		width = max(width, utf8.RuneCountInString(row.Name))
	}
	fmt.Fprintf(w, "%-*s %6s %9s %9s ± %7s %9s %7s %9s\n", width, "", "N", "FID", "KID", "std", "precision", "recall", "entropy")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "%-*s %6d %9.3f %9.4f ± %7.4f %9.3f %7.3f %9.3f\n", width, row.Name, row.N, row.FID,
			row.KID, row.KIDStd, row.Precision, row.Recall, row.Entropy)
	}
	fmt.Fprintf(w, "\nclass coverage (%% of each row's images the feature network puts in each class; entropy in nats, at most %.3f):\n",
		math.Log(float64(len(r.Classes))))
	fmt.Fprintf(w, "%-*s", width, "")
	for _, c := range r.Classes {
		fmt.Fprintf(w, " %5.5s", c)
	}
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "%-*s", width, row.Name)
		for _, p := range row.Shares {
			fmt.Fprintf(w, " %5.1f", 100*p)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "\nrows: samples drawn from each prior (normal: N(0, T²I); "+prior.Either(prior.KindNames())+": fitted by latent prior fit);\n",
		"perfect prior: N training images picked at random, one posterior draw of each decoded: the aggregate posterior that priors are fitted to\n",
		"  (a prior that matched it exactly would score about this);\n",
		"reconstructions: the test split's posterior means, decoded, each paired with its own test image (below what any prior reaches);\n",
		"training split: N training images (the floor: two samples of the data itself)\n")
}

// writeScoresJSON prints the report as indented JSON.
func writeScoresJSON(w io.Writer, r scoreReport) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
