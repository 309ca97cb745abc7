package vae

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/disentangle"
	"github.com/latent-vae/latent/eval"
)

// The sample counts of `latent factors`, disentanglement_lib's
// (unsupervised_study_v1's metric configs): 10000 train and 5000 test
// images for MIG, SAP and DCI; 10000 train and 5000 eval votes of 64
// images for the FactorVAE score, its variances from 10000 images; 10000
// train and 5000 eval points of 64 image pairs for the BetaVAE score.
const (
	FactorTrain = 10000
	FactorEval  = 5000
	FactorBatch = 64
)

// FactorOptions are what `latent factors` measures: every metric's train
// count (Train: MIG's images, SAP's and DCI's train images, the FactorVAE
// score's train votes and variance images, the BetaVAE score's train
// points), its eval count (Eval: SAP's and DCI's test images, the FactorVAE
// and BetaVAE scores' eval points) and the images per vote (Batch), each
// defaulting to disentanglement_lib's, drawn with Seed.
type FactorOptions struct {
	Data  string `json:"-"` // the data set (--data; "": the run's)
	Train int    `json:"train"`
	Eval  int    `json:"eval"`
	Batch int    `json:"batch"`
	Seed  int64  `json:"seed"`
}

// DefaultFactorOptions returns disentanglement_lib's sample counts and seed 1.
func DefaultFactorOptions() FactorOptions {
	return FactorOptions{Train: FactorTrain, Eval: FactorEval, Batch: FactorBatch, Seed: 1}
}

// MaxFactorSamples bounds --train and --eval.
const MaxFactorSamples = 1_000_000

// Check checks the options' values, each error an *ArgError naming its flag.
func (o FactorOptions) Check() error {
	switch {
	case o.Train < 2 || o.Train > MaxFactorSamples:
		return argErrorf("--train %d: want 2 to %d", o.Train, MaxFactorSamples)
	case o.Eval < 2 || o.Eval > MaxFactorSamples:
		return argErrorf("--eval %d: want 2 to %d", o.Eval, MaxFactorSamples)
	case o.Batch < 2 || o.Batch > 4096:
		return argErrorf("--vote-batch %d: want 2 to 4096", o.Batch)
	}
	return nil
}

// encodings returns how many images ScoreFactors encodes with o: MIG's,
// SAP's and DCI's, and on a full grid the FactorVAE score's variance
// images and votes and the BetaVAE score's pairs.
func (o FactorOptions) encodings(grid bool) int {
	n := o.Train + o.Eval
	if grid {
		n += o.Train + 3*(o.Train+o.Eval)*o.Batch
	}
	return n
}

// factorVAE returns the FactorVAE score's options o sets, with the
// library's pruning threshold.
func (o FactorOptions) factorVAE() disentangle.FactorVAEOptions {
	f := disentangle.DefaultFactorVAE()
	f.Batch, f.Train, f.Eval, f.VarianceSamples = o.Batch, o.Train, o.Eval, o.Train
	return f
}

// betaVAE returns the BetaVAE score's options o sets.
func (o FactorOptions) betaVAE() disentangle.BetaVAEOptions {
	return disentangle.BetaVAEOptions{Batch: o.Batch, Train: o.Train, Eval: o.Eval}
}

// FactorReport is what `latent factors` writes: every metric of a run's
// codes (its posterior means) against the known factors of its data, the
// dimension × factor mutual information and which dimension carries which
// factor. Dimensions are numbered from 1 (z1), as every command names
// them. FactorVAE and BetaVAE are nil, with Skipped saying why, when the
// images do not cover every combination of factor values.
type FactorReport struct {
	Run        string          `json:"run,omitempty"`
	Step       int64           `json:"step,omitempty"`
	Data       string          `json:"data,omitempty"`
	Codes      string          `json:"codes"`
	Dimensions int             `json:"dimensions"`
	Factors    []FactorInfo    `json:"factors"`
	Images     int             `json:"images"`    // the images the codes are drawn from
	FullGrid   bool            `json:"full_grid"` // every combination of factor values is among them
	Options    FactorOptions   `json:"options"`
	MIG        MIGScore        `json:"mig"`
	SAP        SAPScore        `json:"sap"`
	DCI        DCIScore        `json:"dci"`
	FactorVAE  *VoteScore      `json:"factor_vae"`
	BetaVAE    *VoteScore      `json:"beta_vae"`
	Skipped    string          `json:"skipped,omitempty"`
	MI         [][]float64     `json:"mutual_information"` // [dimension][factor], nats
	Carriers   []FactorCarrier `json:"carriers"`
	DimFactors []DimFactor     `json:"dimension_factors"`
}

// FactorInfo is one factor: its name, number of values and entropy in nats
// over MIG's images.
type FactorInfo struct {
	Name    string  `json:"name"`
	Size    int     `json:"size"`
	Entropy float64 `json:"entropy"`
}

// MIGScore is the mutual information gap, overall and per factor.
type MIGScore struct {
	Score     float64   `json:"score"`
	PerFactor []float64 `json:"per_factor"`
}

// SAPScore is the SAP score and its [dimension][factor] test accuracies.
type SAPScore struct {
	Score  float64     `json:"score"`
	Matrix [][]float64 `json:"matrix"`
}

// DCIScore is DCI's three scores, the regressor behind them and its
// [dimension][factor] importances.
type DCIScore struct {
	Disentanglement      float64     `json:"disentanglement"`
	Completeness         float64     `json:"completeness"`
	InformativenessTrain float64     `json:"informativeness_train"`
	InformativenessTest  float64     `json:"informativeness_test"`
	Regressor            string      `json:"regressor"`
	Importance           [][]float64 `json:"importance"`
}

// DCIRegressor names DCI's classifier (see disentangle.DCI for why it is
// not the library's gradient-boosted trees).
const DCIRegressor = "multinomial logistic regression (L2, C = 1) on standardised codes; importance = sum of |weights|"

// VoteScore is the FactorVAE or BetaVAE score: the classifier's accuracy
// on its train and eval points (the score), and for FactorVAE the
// dimensions kept after pruning (numbered from 1).
type VoteScore struct {
	Train  float64 `json:"train_accuracy"`
	Eval   float64 `json:"eval_accuracy"`
	Active []int   `json:"active,omitempty"`
}

// FactorCarrier says which dimension carries a factor: the one of largest
// mutual information with it, that information's share of the factor's
// entropy, and the share's gap to the next dimension's (MIG's term).
type FactorCarrier struct {
	Factor    string  `json:"factor"`
	Dimension int     `json:"dimension"`
	Share     float64 `json:"share"`
	Gap       float64 `json:"gap"`
}

// DimFactor says which factor a dimension shares the largest share of
// mutual information with ("" when none).
type DimFactor struct {
	Dimension int     `json:"dimension"`
	Factor    string  `json:"factor"`
	Share     float64 `json:"share"`
}

// FactorSource is where the metrics get codes of images with known
// factors: a disentangle.Sampler for images with given factor values
// (Grid: every combination can be drawn), and Draw, n codes of images
// drawn at random with their factors.
type FactorSource interface {
	disentangle.Sampler
	Grid() bool
	Draw(rng *rand.Rand, n int) (disentangle.Set, error)
}

// ScoreFactors computes every metric of src's codes with factors named
// names, with o's sample counts and seed: MIG on o.Train images, SAP and
// DCI trained on o.Train and tested on o.Eval more, and, when src.Grid,
// the FactorVAE and BetaVAE scores; the mutual information is MIG's.
func ScoreFactors(src FactorSource, names []string, o FactorOptions) (*FactorReport, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if len(names) != len(src.Sizes()) {
		return nil, fmt.Errorf("factors: %d names for %d factors", len(names), len(src.Sizes()))
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed_fac7))
	train, err := src.Draw(rng, o.Train)
	if err != nil {
		return nil, fmt.Errorf("factors: train images: %w", err)
	}
	test, err := src.Draw(rng, o.Eval)
	if err != nil {
		return nil, fmt.Errorf("factors: test images: %w", err)
	}
	_, d := train.Codes.Dims()
	r := &FactorReport{Codes: "posterior means", Dimensions: d, Options: o, FullGrid: src.Grid()}
	if err := r.fixed(train, test, names); err != nil {
		return nil, err
	}
	if !r.FullGrid {
		r.Skipped = "the FactorVAE and BetaVAE scores need every combination of factor values among the images (a full factor grid)"
		return r, nil
	}
	fv, err := disentangle.FactorVAE(rng, src, o.factorVAE())
	if err != nil {
		return nil, err
	}
	r.FactorVAE = &VoteScore{Train: fv.TrainAccuracy, Eval: fv.EvalAccuracy, Active: plusOne(fv.Active)}
	bv, err := disentangle.BetaVAE(rng, src, o.betaVAE())
	if err != nil {
		return nil, err
	}
	r.BetaVAE = &VoteScore{Train: bv.TrainAccuracy, Eval: bv.EvalAccuracy}
	return r, nil
}

// fixed fills r's MIG (on train), SAP and DCI (train, then test), the
// mutual information, the factors and the carriers.
func (r *FactorReport) fixed(train, test disentangle.Set, names []string) error {
	mig, err := disentangle.MIG(train)
	if err != nil {
		return err
	}
	sap, err := disentangle.SAP(train, test)
	if err != nil {
		return err
	}
	dci, err := disentangle.DCI(train, test)
	if err != nil {
		return err
	}
	r.MIG = MIGScore{Score: mig.Score, PerFactor: mig.PerFactor}
	r.SAP = SAPScore{Score: sap.Score, Matrix: rows(sap.Matrix)}
	r.DCI = DCIScore{Disentanglement: dci.Disentanglement, Completeness: dci.Completeness,
		InformativenessTrain: dci.InformativenessTrain, InformativenessTest: dci.InformativenessTest,
		Regressor: DCIRegressor, Importance: rows(dci.Importance)}
	r.MI = rows(mig.MI)
	for f, name := range names {
		r.Factors = append(r.Factors, FactorInfo{Name: name, Size: train.Factors.Sizes[f], Entropy: mig.Entropy[f]})
	}
	for _, c := range disentangle.Carriers(mig.MI, mig.Entropy) {
		r.Carriers = append(r.Carriers, FactorCarrier{Factor: names[c.Factor], Dimension: c.Dim + 1, Share: c.Share, Gap: c.Gap})
	}
	r.DimFactors = dimFactors(mig.MI, mig.Entropy, names)
	return nil
}

// dimFactors names each dimension's factor (disentangle.DimensionFactors).
func dimFactors(mi *mat.Dense, entropy []float64, names []string) []DimFactor {
	factor, share := disentangle.DimensionFactors(mi, entropy)
	out := make([]DimFactor, len(factor))
	for j, f := range factor {
		out[j] = DimFactor{Dimension: j + 1, Share: share[j]}
		if f >= 0 {
			out[j].Factor = names[f]
		}
	}
	return out
}

// rows returns m's rows as slices.
func rows(m *mat.Dense) [][]float64 {
	n, _ := m.Dims()
	out := make([][]float64, n)
	for i := range out {
		out[i] = slices.Clone(m.RawRowView(i))
	}
	return out
}

// plusOne returns dims numbered from 1.
func plusOne(dims []int) []int {
	out := make([]int, len(dims))
	for i, d := range dims {
		out[i] = d + 1
	}
	return out
}

// errNoFactors is the refusal of a data set without factors.
var errNoFactors = errors.New("has no factors: this needs images that carry their factor values (--data sprites, or an image folder with a factors.csv)")

// Factors measures the run's codes against the factors of its data set,
// or of o.Data (FactorsOf). It refuses a latent that is not continuous and
// a data set without factors.
func (s *Session) Factors(o FactorOptions) (*FactorReport, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if _, err := s.Dimensions("scoring disentanglement"); err != nil {
		return nil, err
	}
	set, err := s.DataSet(o.Data, "--data")
	if err != nil {
		return nil, err
	}
	return s.FactorsOf(set, o)
}

// FactorsOf measures the run's codes against set's factors: the posterior
// means (the mean representation, which disentanglement_lib scores) of
// images drawn from both splits pooled (FactorPool), scored by
// ScoreFactors.
func (s *Session) FactorsOf(set *data.Set, o FactorOptions) (*FactorReport, error) {
	d, err := s.Dimensions("scoring disentanglement")
	if err != nil {
		return nil, err
	}
	if set.Train.Factors == nil && set.Test.Factors == nil {
		return nil, fmt.Errorf("--data %s %w", set.Name, errNoFactors)
	}
	model, err := s.EvalModel(eval.DefaultBatch)
	if err != nil {
		return nil, err
	}
	inner := model.Progress
	defer func() { model.Progress = inner }()
	model.Progress = nil // one progress for every image encoded, not a line per chunk
	progress, done, total := NewProgress(s.Log), 0, 0
	encode := func(images []float32, labels []int) ([]float32, error) {
		means, _, err := model.Encode(images, labels)
		done += len(labels)
		progress("encode", min(done, total), total)
		return means, err
	}
	pool, err := NewFactorPool([]*data.Split{set.Train, set.Test}, encode, d)
	if err != nil {
		return nil, fmt.Errorf("--data %s: %w", set.Name, err)
	}
	total = o.encodings(pool.Grid())
	progress("encode", 0, total)
	r, err := ScoreFactors(pool, pool.Names(), o)
	if err != nil {
		return nil, err
	}
	r.Run, r.Step, r.Data, r.Images = s.Run.Dir, s.Run.Step, set.Name, pool.Len()
	return r, nil
}
