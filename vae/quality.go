package vae

import (
	"fmt"
	"math"
	"os"
	"time"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/features"
	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/score"
)

// QualitySamples is the samples of a prior its fit scores against the test
// split (FID, precision, recall), as `latent score` scores them: enough
// to rank priors, few enough to add seconds to a fit.
const QualitySamples = 2000

// QualitySeed seeds the samples a fit scores.
const QualitySeed = 1

// MeasurePrior scores the prior fitted in w by QualitySamples samples
// against the run's test split in its data set's feature network, at the
// temperature it chooses (prior.Quality.Temperature): of
// prior.QualityTemperatures, the one whose samples score the lowest FID
// against as many training images, so that the stored score is of a
// choice made without the test split. Where that network ships with latent or is cached it measures;
// where it would first have to be trained (minutes), or the data set has
// no labels to train one, it returns the quality unscored with the reason
// and how to score the prior. A prior that cannot be scored (its samples
// decode to NaN) is unscored too, the error its reason: the fit stands.
func (s *Session) MeasurePrior(w *prior.Workspace) prior.Quality {
	start := time.Now()
	q := prior.Quality{Samples: QualitySamples, Seed: QualitySeed}
	err := s.measurePrior(w, &q)
	if err != nil {
		q.Unscored = err.Error()
	}
	q.ScoreSecs = time.Since(start).Seconds()
	if !q.Scored() {
		if q.Unscored == "" {
			q.Unscored = fmt.Sprintf("the samples' FID is %g", q.FID)
		}
		q.FID, q.Precision, q.Recall = 0, 0, 0 // JSON holds no NaN
	}
	return q
}

// measurePrior fills q's scores, Features and Reference; an error or
// q.Unscored says why it did not.
func (s *Session) measurePrior(w *prior.Workspace, q *prior.Quality) error {
	set, err := s.DataSet("", "the run's data set")
	if err != nil {
		return err
	}
	net, name, hash, err := s.cachedFeatureNet(set, w.Kind)
	if err != nil || net == nil {
		return err
	}
	q.Features, q.FeaturesSHA, q.Reference = name, hash, set.Test.N
	saved, err := w.Read()
	if err != nil {
		return err
	}
	c, err := saved.Open(s.Backend, prior.OpenOptions{Batch: generate.BatchFor(q.Samples), Steps: DefaultPriorSteps})
	if err != nil {
		return err
	}
	defer c.Close()
	// One KID subset: a fit stores no KID, and latent score's 100 would
	// take most of the measurement's time.
	opt := score.Options{Seed: uint64(q.Seed), KIDSubsets: 1}
	sc, err := s.newScorer(net, name, set.Test, opt)
	if err != nil {
		return err
	}
	defer sc.ext.Finalize()
	images, err := s.chooseTemperature(c, sc, set.Train.Subset(set.Test.N), opt, q)
	if err != nil {
		return err
	}
	row, err := sc.row(fmt.Sprintf("samples: %s at temperature %g", w.Kind, q.Temperature), images)
	if err != nil {
		return err
	}
	if math.IsNaN(row.Precision) || math.IsNaN(row.Recall) {
		return fmt.Errorf("the samples' precision and recall are %g and %g", row.Precision, row.Recall)
	}
	q.FID, q.Precision, q.Recall = row.FID, row.Precision, row.Recall
	return nil
}

// chooseTemperature draws q.Samples samples of c at each of
// prior.QualityTemperatures, scores them in test's features against train
// (training images, never the test split), records each FID in q.Tried
// and the lowest's temperature in q.Temperature, and returns that
// temperature's images.
func (s *Session) chooseTemperature(c prior.Sampler, test scorer, train *data.Split, opt score.Options, q *prior.Quality) ([]float32, error) {
	sc := test // the same extractor, another reference
	sc.refName = "training split"
	var err error
	if sc.ref, err = sc.reference(train, opt); err != nil {
		return nil, err
	}
	var best []float32
	bestFID := math.Inf(1)
	for _, t := range prior.QualityTemperatures() {
		images, err := s.samplesOf(c, q.Samples, q.Seed, t)
		if err != nil {
			return nil, err
		}
		row, err := sc.row(fmt.Sprintf("samples at temperature %g", t), images)
		if err != nil {
			return nil, err
		}
		if math.IsNaN(row.FID) { // JSON holds no NaN
			continue
		}
		q.Tried = append(q.Tried, prior.TriedTemperature{Temperature: t, TrainFID: row.FID})
		if row.FID < bestFID {
			best, bestFID, q.Temperature = images, row.FID, t
		}
	}
	if best == nil {
		return nil, fmt.Errorf("the samples' FID against the training split is NaN at every temperature tried")
	}
	return best, nil
}

// cachedFeatureNet returns the feature network of the run's data set (set,
// as the run loads it; see featureNet), its name and its data's hash, when
// it ships with latent or is cached; else an error saying why not and how
// to score the prior of kind anyway.
func (s *Session) cachedFeatureNet(set *data.Set, kind string) (*features.Net, string, string, error) {
	if d := s.Run.Config.Data; d.TrainLimit > 0 || d.TestLimit > 0 {
		var err error
		if set, err = loadFullData(d); err != nil {
			return nil, "", "", fmt.Errorf("the run's data set: %w", err)
		}
	}
	if len(set.Classes) < 2 {
		return nil, "", "", fmt.Errorf("data set %s has no labels, so no feature network; "+
			"measure the prior with `latent score --run %s --prior %s --features FILE_OR_RUN`", set.Name, s.Run.Dir, kind)
	}
	hash := features.DataHash(set)
	shipped, err := features.MNIST()
	if err != nil {
		return nil, "", "", err
	}
	dir, err := features.CacheDir()
	if err != nil {
		return nil, "", "", err
	}
	if shipped.DataHash != hash || shipped.Recipe != features.DefaultRecipe {
		if _, err := os.Stat(features.CachePath(dir, hash, features.DefaultRecipe)); err != nil {
			return nil, "", "", fmt.Errorf("no feature network of %s is cached yet (the fit does not train one): "+
				"`latent score --run %s` trains it once, then `latent prior score --run %s --kind %s` stores the prior's score",
				set.Name, s.Run.Dir, s.Run.Dir, kind)
		}
	}
	net, err := s.netForSet(set)
	return net, featureName(set), hash, err
}

// samplesOf returns n samples of c (codes drawn with seed at temperature,
// decoded), as values in [0, 1] like a split's images.
func (s *Session) samplesOf(c prior.Sampler, n int, seed int64, temperature float64) ([]float32, error) {
	labels := SampleLabels(s.Model, n)
	codes, err := c.Sample(n, seed, temperature, labels)
	if err != nil {
		return nil, err
	}
	return unitImages(s.SampleImages(codes, labels))
}

// ScorePrior scores the run's fitted prior of kind in place (a prior
// fitted before fits were scored, or one whose feature network is cached
// since), under the kind's lock, and stores its score, keeping the fit's
// time of an earlier score. A prior fitted to another run or checkpoint,
// or one this latent cannot open (prior.Saved.Usable), is an error: it
// stores nothing.
func (s *Session) ScorePrior(kind string) (prior.Quality, error) {
	w, err := prior.Hold(s.Run.Dir, kind)
	if err != nil {
		return prior.Quality{}, err
	}
	defer w.Release()
	saved, err := w.Read()
	if err != nil {
		return prior.Quality{}, fmt.Errorf("--kind %s: %w", kind, err)
	}
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		return prior.Quality{}, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	if _, err := origin.Check(saved.Config, saved.Ckpt.Path); err != nil {
		return prior.Quality{}, fmt.Errorf("--kind %s: %w", kind, err)
	}
	if err := saved.Usable(); err != nil {
		return prior.Quality{}, fmt.Errorf("--kind %s: %w", kind, err)
	}
	old, err := prior.ReadQuality(saved)
	if err != nil {
		return prior.Quality{}, err
	}
	q := s.MeasurePrior(w)
	if old != nil {
		q.FitSeconds = old.FitSeconds
	}
	return q, prior.WriteQuality(w.Dir, q)
}
