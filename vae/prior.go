package vae

import (
	"errors"
	"fmt"
	"math"

	"github.com/latent-vae/latent/generate"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/prior"
)

// DefaultPriorSteps is the steps a prior that samples in steps takes.
const DefaultPriorSteps = 50

// Sample draws n codes from the run's prior that name (a --prior value:
// auto, normal or a fitted kind) names, sampling in steps steps where it
// takes steps, at temperature, for a conditional run one per label, and
// says on Log which prior it used. It returns the prior's name (auto
// resolved).
func (s *Session) Sample(name string, steps, n int, seed int64, temperature float64, labels []int) ([]float32, string, error) {
	c, kind, err := s.OpenSampler(name, steps, generate.BatchFor(n))
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	codes, err := c.Sample(n, seed, temperature, labels)
	return codes, kind, err
}

// SampleByClass draws per codes of each class of a conditional run from
// the prior name names, class after class, and returns them with their
// labels and the prior's name (see Sample). N(0, I), which knows no class,
// draws per codes once and repeats them in every class, so that code j of
// every class shows one style; a fitted prior draws each class's codes from
// that class.
func (s *Session) SampleByClass(name string, steps, per int, seed int64, temperature float64) ([]float32, []int, string, error) {
	m := s.Model
	labels := make([]int, 0, m.Classes*per)
	for c := range m.Classes {
		labels = append(labels, RepeatLabel(c, per)...)
	}
	codes, used, err := s.Sample(name, steps, len(labels), seed, temperature, labels)
	if err != nil {
		return nil, nil, "", err
	}
	if used == prior.Baseline(m.Kind()) { // one style per column
		size := m.Kind().Code().Size()
		for c := 1; c < m.Classes; c++ {
			copy(codes[c*per*size:(c+1)*per*size], codes[:per*size])
		}
	}
	return codes, labels, used, nil
}

// OpenSampler opens the run's prior that name (a --prior value) names:
// the latent kind's default prior for normal or uniform (N(0, I), or every
// code alike for a grid: NormalSampler), else the fitted prior, sampling
// in steps steps where it takes steps, keeping the TopK most likely codes
// where it draws codes from a categorical, and compiled for batches of
// batch codes; auto picks the fitted prior of the lowest FID stored at fit
// (prior.Best). It says on Log which prior it is (for auto, why), warning
// when it was fitted to an earlier checkpoint of the run, and returns the
// prior's name (auto resolved; the default prior by prior.Baseline's
// name). A name that is not a prior, or uniform for a continuous latent,
// is an *ArgError.
func (s *Session) OpenSampler(name string, steps, batch int) (prior.Sampler, string, error) {
	kind, err := s.resolvePrior(name)
	if err != nil {
		return nil, "", err
	}
	if kind == prior.Normal {
		l := s.Model.Kind()
		baseline := prior.Baseline(l)
		if err := s.uniformFits(name); err != nil {
			return nil, "", err
		}
		if name == prior.Auto {
			fmt.Fprintf(s.Log, "prior: %s (%s); fit a better one with `latent prior fit --run %s --kind KIND` (%s)\n",
				baseline, prior.BaselineWords(l), s.Run.Dir, prior.Either(s.fittingKinds()))
		}
		s.normalOpen = true
		return chosenTemperature(NormalSampler(l), 1), baseline, nil
	}
	c, err := s.openFitted(kind, steps, batch)
	return c, kind, err
}

// chosenTemperature is c drawing at t where it is asked for
// prior.ChosenTemperature.
func chosenTemperature(c prior.Sampler, t float64) prior.Sampler {
	return temperatureSampler{c, t}
}

// resolvedTemperature is the temperature c draws at when asked for t:
// t, or for prior.ChosenTemperature the one an OpenSampler sampler chose
// (1 for another sampler).
func resolvedTemperature(c prior.Sampler, t float64) float64 {
	if t != prior.ChosenTemperature {
		return t
	}
	if ts, ok := c.(temperatureSampler); ok {
		return ts.chosen
	}
	return 1
}

// temperatureSampler resolves prior.ChosenTemperature to its own.
type temperatureSampler struct {
	prior.Sampler
	chosen float64
}

// Sample draws as the sampler it wraps, at its chosen temperature where
// asked for prior.ChosenTemperature.
func (c temperatureSampler) Sample(n int, seed int64, temperature float64, labels []int) ([]float32, error) {
	if temperature == prior.ChosenTemperature {
		temperature = c.chosen
	}
	return c.Sampler.Sample(n, seed, temperature, labels)
}

// resolvePrior is resolve with its errors as the commands report them: a
// prior the run lacks names --prior, any other is the caller's bad value
// (*ArgError).
func (s *Session) resolvePrior(name string) (string, error) {
	kind, err := s.resolve(name)
	if errors.Is(err, prior.ErrNotFitted) {
		return "", fmt.Errorf("--prior %s: %w", name, err)
	} else if err != nil {
		return "", argErr(err)
	}
	return kind, nil
}

// resolve maps a --prior value to a prior as prior.Resolve does, but auto
// to the best prior fitted to the run's checkpoint (prior.Best), and says
// on Log which auto picked and why.
func (s *Session) resolve(name string) (string, error) {
	if name != prior.Auto {
		return prior.Resolve(s.Run.Dir, name)
	}
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		return "", fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	c, err := prior.Best(s.Run.Dir, &origin)
	if err != nil {
		return "", fmt.Errorf("--prior auto: %w", err)
	}
	if c.Reason != "" {
		fmt.Fprintf(s.Log, "prior auto: %s (%s)\n", c.Kind, c.Reason)
	}
	return c.Kind, nil
}

// NormalSampler is the latent kind's default prior as a prior.Sampler (the
// --prior normal: N(0, I) for the Gaussian kind, whose codes are
// generate.RandomLatents', T·ε at temperature T), so that nothing else
// special-cases it.
func NormalSampler(kind models.LatentKind) prior.Sampler {
	return prior.SamplerFunc(func(n int, seed int64, temperature float64, _ []int) ([]float32, error) {
		return kind.Prior(n, seed, temperature), nil
	})
}

// temperatureWhy says where a prior's default temperature comes from.
func temperatureWhy(q *prior.Quality) string {
	if q.ChoseTemperature() {
		return " (its fit's choice, by FID against training images)"
	}
	return ""
}

// openFitted opens the prior of kind fitted to the run, checking it was
// fitted to this run's checkpoint.
func (s *Session) openFitted(kind string, steps, batch int) (prior.Sampler, error) {
	saved, err := prior.Read(s.Run.Dir, kind)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	if err := s.priorFits("prior", kind); err != nil {
		return nil, err
	}
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	warning, err := origin.Check(saved.Config, saved.Ckpt.Path)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	l := s.Model.Kind()
	normal := fmt.Sprintf(" (--prior %s for %s)", prior.Baseline(l), prior.BaselineWords(l))
	if s.normalOpen { // N(0, I) is in use already: no need to name it
		normal = ""
	}
	q, err := prior.ReadQuality(saved)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	t := q.SampleTemperature()
	fmt.Fprintf(s.Log, "prior: %s, fitted at the run's step %d, drawing at temperature %g%s when --temperature does not say otherwise%s\n",
		saved.Config.Describe(), saved.Config.RunStep, t, temperatureWhy(q), normal)
	if warning != "" {
		fmt.Fprintln(s.Log, warning)
	}
	c, err := saved.Open(s.Backend, prior.OpenOptions{Batch: batch, Steps: steps, TopK: s.TopK})
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	return chosenTemperature(c, t), nil
}

// OpenSamplers opens the latent kind's default prior and every prior
// fitted to the run that this latent can open (UsablePriors; it says on
// Log in one line for each other which it skipped and why), each for
// steps steps and batch codes at a time, and returns their names, the
// default first and the best last.
func (s *Session) OpenSamplers(steps, batch int) ([]string, map[string]prior.Sampler, error) {
	usable, skipped, err := s.UsablePriors()
	if err != nil {
		return nil, nil, err
	}
	for _, sk := range skipped {
		fmt.Fprintf(s.Log, "prior %s skipped: %s\n", sk.Prior, sk.Reason)
	}
	var names []string
	out := map[string]prior.Sampler{}
	for _, name := range usable {
		c, _, err := s.OpenSampler(name, steps, batch)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, nil, err
		}
		names, out[name] = append(names, name), c
	}
	return names, out, nil
}

// AvailablePriors are the priors the run can draw from (prior.Available),
// its latent kind's default prior by its name (prior.Baseline: normal, or
// uniform for a grid) first.
func (s *Session) AvailablePriors() []string {
	names := prior.Available(s.Run.Dir)
	for i, name := range names {
		if name == prior.Normal {
			names[i] = prior.Baseline(s.Model.Kind())
		}
	}
	return names
}

// Skipped is a fitted prior that UsablePriors passes over, and why.
type Skipped struct {
	Prior  string `json:"prior"`  // its kind
	Reason string `json:"reason"` // why: its file, and that it must be fitted again
}

// UsablePriors are AvailablePriors less the fitted priors this latent
// cannot draw for the run (one saved in an earlier layout of its kind's
// network, or fitted to another run or checkpoint), which it returns as
// skipped, with why. A fitted prior whose files cannot be read is an
// error.
func (s *Session) UsablePriors() ([]string, []Skipped, error) {
	var names []string
	var skipped []Skipped
	for _, kind := range s.AvailablePriors() {
		switch why, err := s.unusable(kind); {
		case err != nil:
			return nil, nil, err
		case why != nil:
			skipped = append(skipped, Skipped{Prior: kind, Reason: why.Error()})
		default:
			names = append(names, kind)
		}
	}
	return names, skipped, nil
}

// unusable is why this latent cannot draw the run's fitted prior of kind
// for the run: one saved in an earlier layout of its kind's network
// (prior.Saved.Usable), or one fitted to another run or checkpoint
// (prior.Origin.Check); nil for one it can and for the default prior. err
// is why the prior's or the run's files cannot be read.
func (s *Session) unusable(kind string) (why, err error) {
	if _, fitted := prior.Lookup(kind); !fitted {
		return nil, nil
	}
	saved, err := prior.Read(s.Run.Dir, kind)
	if err != nil {
		return nil, fmt.Errorf("--prior %s: %w", kind, err)
	}
	if why := saved.Usable(); why != nil {
		return why, nil
	}
	origin, err := prior.OriginOf(s.Run)
	if err != nil {
		return nil, fmt.Errorf("--run %s: %w", s.Run.Dir, err)
	}
	_, why = origin.Check(saved.Config, saved.Ckpt.Path)
	return why, nil
}

// uniformFits refuses, as an *ArgError, --prior uniform for a continuous
// latent, whose default prior is N(0, I).
func (s *Session) uniformFits(name string) error {
	if l := s.Model.Kind(); name == prior.Uniform && prior.Baseline(l) != prior.Uniform {
		return argErrorf("--prior uniform: the uniform prior is over a codebook's indices, and the run's latent is %s: its prior is --prior normal", l.Describe())
	}
	return nil
}

// fittingKinds are the prior kinds that fit the run's latent
// (prior.Kind.CheckLatent), by rank.
func (s *Session) fittingKinds() []string {
	var out []string
	for _, k := range prior.Registered() {
		if k.CheckLatent(s.Model.Kind()) == nil {
			out = append(out, k.Name)
		}
	}
	return out
}

// SampleImages decodes codes (n × the latent size, with their labels) to
// the images they draw, as bytes (what a PNG or .npy holds): the one way
// samples are made for `latent sample -o .npy` and `latent score`, whatever
// prior drew the codes. A value that is not a number (a diverged model) is
// an error, not a black pixel.
func (s *Session) SampleImages(codes []float32, labels []int) ([]uint8, error) {
	images, err := s.Decode(codes, labels)
	if err != nil {
		return nil, err
	}
	size := s.Model.Height * s.Model.Width * s.Model.Channels
	for i, v := range images {
		if math.IsNaN(float64(v)) {
			return nil, fmt.Errorf("run %s: the decoder gives NaN for image %d of %d", s.Run.Dir, i/size, len(images)/size)
		}
	}
	return generate.Bytes(images), nil
}
