package rundir

import (
	"errors"
	"fmt"
	"math"

	"github.com/latent-vae/latent/models"
)

// Training objectives (Objective.Kind), as `latent train --objective` names
// them.
const (
	ELBOObjective = ""           // the ELBO with β (β-VAE), optionally with capacity annealing
	BetaTCVAE     = "beta-tcvae" // Chen et al. 2018: the KL split into MI, TC and dimension-wise KL
	FactorVAE     = "factor-vae" // Kim & Mnih 2018: the ELBO plus γ·TC from a discriminator
)

// TC estimators of β-TCVAE (Objective.TCEstimator).
const (
	MSS = models.EstimatorMSS // minibatch stratified sampling
	MWS = models.EstimatorMWS // minibatch weighted sampling
)

// The defaults `latent train` gives the disentangling objectives' settings
// not given (DefaultObjective).
const (
	// DefaultFactorGamma is FactorVAE's γ: Kim & Mnih's dSprites runs use
	// 35 to 40 (Pythae's default is 2).
	DefaultFactorGamma = 35
	// DefaultCapacityGamma is capacity annealing's γ, Burgess et al.'s and
	// disentanglement_lib's annealed VAE's 1000.
	DefaultCapacityGamma = 1000
)

// The hidden layers of FactorVAE's discriminator and their units: 3 of
// 512, where Kim & Mnih use 6 of 1000. On a 2-core CPU the paper's would
// cost about 2× a default conv step at batch 128 (5M multiply-adds per
// code, 256 codes a step, forward and backward); these cost about a fifth
// of one.
const (
	DefaultDiscriminatorLayers = 3
	DefaultDiscriminatorWidth  = 512
)

// DefaultObjective returns o with the settings of its objective that are
// unset (zero) given their defaults: for β-TCVAE α = 1, γ = 1 and the MSS
// estimator (Pythae's defaults; rtqichen/beta-tcvae defaults to MWS); for
// FactorVAE γ = DefaultFactorGamma, the discriminator's
// DefaultDiscriminatorLayers and DefaultDiscriminatorWidth, and its
// learning rate the run's, lr (Kim & Mnih train both at 1e-4; a
// discriminator slower than the model is fooled by an encoder that makes
// its codes look independent to it, and the KL grows); with capacity
// annealing γ = DefaultCapacityGamma. alphaSet says α was chosen (so 0
// stays 0).
func DefaultObjective(o Objective, lr float64, alphaSet bool) Objective {
	switch o.Kind {
	case BetaTCVAE:
		if !alphaSet && o.Alpha == 0 {
			o.Alpha = 1
		}
		if o.Gamma == 0 {
			o.Gamma = 1
		}
		if o.TCEstimator == "" {
			o.TCEstimator = MSS
		}
	case FactorVAE:
		if o.Gamma == 0 {
			o.Gamma = DefaultFactorGamma
		}
		if o.DiscriminatorLayers == 0 {
			o.DiscriminatorLayers = DefaultDiscriminatorLayers
		}
		if o.DiscriminatorWidth == 0 {
			o.DiscriminatorWidth = DefaultDiscriminatorWidth
		}
		if o.DiscriminatorLR == 0 {
			o.DiscriminatorLR = lr
		}
	case ELBOObjective:
		if o.Capacity > 0 && o.Gamma == 0 {
			o.Gamma = DefaultCapacityGamma
		}
	}
	return o
}

// Annealed reports whether the objective anneals the KL's capacity.
func (o Objective) Annealed() bool { return o.Capacity > 0 }

// Check reports the first problem with the disentangling objectives'
// settings of o for a run of model m and batches of batch images, naming
// the `latent train` flag: a value out of range, a setting of another
// objective, or an objective the model or the other settings cannot take.
func (o Objective) Check(m models.Config, batch int) error {
	if err := o.checkValues(); err != nil {
		return err
	}
	switch {
	case o.Kind == ELBOObjective && !o.Annealed():
		return o.checkUnused("the elbo objective", false)
	case o.Kind == ELBOObjective:
		if err := o.checkUnused("capacity annealing", true); err != nil {
			return err
		}
		return o.checkCapacity(m)
	}
	name := "--objective " + o.Kind
	if err := o.checkUnused(name, true); err != nil {
		return err
	}
	switch {
	case o.IWTrain > 1:
		return fmt.Errorf("%s: it is an objective of its own, not the importance-weighted bound of --iw-train", name)
	case o.FreeBits > 0:
		return fmt.Errorf("%s: it splits the KL term its own way; --free-bits cannot shape it", name)
	case o.Gamma <= 0:
		return fmt.Errorf("--gamma %v: %s needs a positive weight", o.Gamma, name)
	case !models.Continuous(m.Kind()) || models.Quantized(m):
		return fmt.Errorf("%s: needs a continuous code, but --model %s has %s", name, m.Network(), m.Kind().Describe())
	case m.Layers() != 1:
		return fmt.Errorf("%s: needs a code that is one flat vector, but --model %s has %d stochastic layers", name, m.Network(), m.Layers())
	case batch < 2:
		return fmt.Errorf("%s: --batch-size %d: the estimate of the total correlation needs at least 2 codes a batch", name, batch)
	}
	if o.Kind == BetaTCVAE {
		if o.TrainSize != 0 && o.TrainSize < batch {
			return fmt.Errorf("%s: the training split's %d images are fewer than --batch-size %d", name, o.TrainSize, batch)
		}
		return nil
	}
	if o.DiscriminatorLayers <= 0 {
		return fmt.Errorf("--discriminator-layers %d: want at least 1 hidden layer", o.DiscriminatorLayers)
	}
	if o.DiscriminatorWidth <= 0 {
		return fmt.Errorf("--discriminator-width %d: want a positive number of units", o.DiscriminatorWidth)
	}
	if !(o.DiscriminatorLR > 0) || math.IsInf(o.DiscriminatorLR, 0) {
		return fmt.Errorf("--discriminator-lr %v: want a positive learning rate", o.DiscriminatorLR)
	}
	return nil
}

// CheckObjective is Objective.Check for c's model and batch size, and
// refuses a KL warm-up with capacity annealing, which schedules the KL
// term its own way.
func (c Config) CheckObjective() error {
	if c.Objective.Annealed() && c.KLWarmup > 0 {
		return errors.New("--kl-warmup: capacity annealing schedules the KL term itself (--capacity-steps)")
	}
	return c.Objective.Check(c.Model, c.BatchSize)
}

// OneDevice reports whether the objective trains on one device only: the
// estimates of the total correlation span the whole batch.
func (o Objective) OneDevice() bool { return o.Kind == BetaTCVAE || o.Kind == FactorVAE }

// checkValues checks the kind's name and the estimator's.
func (o Objective) checkValues() error {
	switch o.Kind {
	case ELBOObjective, BetaTCVAE, FactorVAE:
	default:
		return fmt.Errorf("--objective %q: want elbo, %s or %s", o.Kind, BetaTCVAE, FactorVAE)
	}
	for _, v := range []struct {
		flag string
		v    float64
	}{{"alpha", o.Alpha}, {"gamma", o.Gamma}, {"capacity", o.Capacity}} {
		if v.v < 0 || math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return fmt.Errorf("--%s %v: want a non-negative number", v.flag, v.v)
		}
	}
	if o.TCEstimator != "" && o.TCEstimator != MSS && o.TCEstimator != MWS || o.Kind == BetaTCVAE && o.TCEstimator == "" {
		return fmt.Errorf("--tc-estimator %q: want %s or %s", o.TCEstimator, MSS, MWS)
	}
	if o.CapacitySteps < 0 {
		return fmt.Errorf("--capacity-steps %d: must not be negative", o.CapacitySteps)
	}
	if o.TrainSize < 0 {
		return fmt.Errorf("training split size %d: must not be negative", o.TrainSize)
	}
	return nil
}

// checkUnused refuses the settings of the objectives that name (an
// objective's flag) does not have; gamma says whether it has --gamma.
func (o Objective) checkUnused(name string, gamma bool) error {
	var flag string
	switch {
	case o.Kind != BetaTCVAE && o.Alpha != 0:
		flag = "--alpha"
	case o.Kind != BetaTCVAE && o.TCEstimator != "":
		flag = "--tc-estimator"
	case !gamma && o.Gamma != 0:
		flag = "--gamma"
	case o.Kind != ELBOObjective && o.Capacity > 0:
		flag = "--capacity"
	case !o.Annealed() && o.CapacitySteps != 0:
		flag = "--capacity-steps"
	case o.Kind != FactorVAE && o.DiscriminatorLayers != 0:
		flag = "--discriminator-layers"
	case o.Kind != FactorVAE && o.DiscriminatorWidth != 0:
		flag = "--discriminator-width"
	case o.Kind != FactorVAE && o.DiscriminatorLR != 0:
		flag = "--discriminator-lr"
	}
	if flag == "" {
		return nil
	}
	if flag == "--capacity-steps" {
		return errors.New("--capacity-steps: it schedules --capacity, which is not given")
	}
	return fmt.Errorf("%s: %s has no such setting", flag, name)
}

// checkCapacity checks capacity annealing's settings against model m.
func (o Objective) checkCapacity(m models.Config) error {
	switch {
	case o.CapacitySteps <= 0:
		return fmt.Errorf("--capacity-steps %d: capacity annealing raises C to --capacity over a positive number of steps", o.CapacitySteps)
	case o.Gamma <= 0:
		return fmt.Errorf("--gamma %v: capacity annealing needs a positive weight", o.Gamma)
	case o.IWTrain > 1:
		return errors.New("--capacity: it shapes the ELBO's KL term; it cannot be combined with the IW bound of --iw-train")
	case o.FreeBits > 0:
		return errors.New("--capacity: it shapes the KL term its own way; --free-bits cannot be combined with it")
	case m.Beta != 1:
		return fmt.Errorf("--capacity: the KL term's weight is --gamma; leave --beta at 1 (it is %v)", m.Beta)
	case models.Quantized(m):
		return fmt.Errorf("--capacity: --model %s's rate is fixed (log K a cell); there is no KL to anneal", m.Network())
	}
	return nil
}

// ObjectiveColumns are the columns that metrics.csv adds, after the
// quantiser's, for a run of objective o (none for the plain ELBO): means
// over the training steps since the previous row of β-TCVAE's index-code
// mutual information, total correlation and dimension-wise KL
// (train_mi, train_tc, train_dwkl), of FactorVAE's total correlation as its
// discriminator estimates it, the discriminator's loss and its accuracy
// (train_tc, train_disc_loss, train_disc_acc), and capacity annealing's C
// at the row's step (capacity).
func ObjectiveColumns(o Objective) []string {
	var cols []string
	switch o.Kind {
	case BetaTCVAE:
		cols = []string{"train_mi", "train_tc", "train_dwkl"}
	case FactorVAE:
		cols = []string{"train_tc", "train_disc_loss", "train_disc_acc"}
	}
	if o.Annealed() {
		cols = append(cols, "capacity")
	}
	return cols
}
