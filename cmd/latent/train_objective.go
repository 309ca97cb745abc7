package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/latent-vae/latent/rundir"
)

// addObjectiveFlags binds o's disentangling fields to the flags of
// `latent train` that choose an objective and set it, named as Pythae and
// disentanglement_lib name them.
func addObjectiveFlags(fs *pflag.FlagSet, o *rundir.Objective) {
	fs.StringVar(&o.Kind, "objective", "elbo", fmt.Sprintf("training objective: elbo (β-VAE with --beta), %s (Chen et al. 2018: --alpha·MI + --beta·TC + --gamma·dimension-wise KL) or %s (Kim & Mnih 2018: the ELBO + --gamma·TC from a discriminator)", rundir.BetaTCVAE, rundir.FactorVAE))
	fs.Float64Var(&o.Alpha, "alpha", 0, rundir.BetaTCVAE+": weight of the index-code mutual information (default 1)")
	fs.Float64Var(&o.Gamma, "gamma", 0, fmt.Sprintf("%s: weight of the dimension-wise KL (default 1); %s: weight of the total correlation (default %d); elbo with --capacity: weight of |KL − C| (default %d)", rundir.BetaTCVAE, rundir.FactorVAE, rundir.DefaultFactorGamma, rundir.DefaultCapacityGamma))
	fs.StringVar(&o.TCEstimator, "tc-estimator", "", fmt.Sprintf("%s: the estimator of log q(z), %s (minibatch stratified sampling) or %s (minibatch weighted sampling) (default %s)", rundir.BetaTCVAE, rundir.MSS, rundir.MWS, rundir.MSS))
	fs.Float64Var(&o.Capacity, "capacity", 0, "capacity annealing (Burgess et al. 2018): C_max in nats; the loss is recon + --gamma·|KL − C|, C rising linearly from 0 to C_max over --capacity-steps (0: off)")
	fs.Int64Var(&o.CapacitySteps, "capacity-steps", 0, "steps over which --capacity's C rises from 0 to C_max")
	fs.IntVar(&o.DiscriminatorLayers, "discriminator-layers", 0, fmt.Sprintf("%s: hidden layers of the discriminator (default %d)", rundir.FactorVAE, rundir.DefaultDiscriminatorLayers))
	fs.IntVar(&o.DiscriminatorWidth, "discriminator-width", 0, fmt.Sprintf("%s: units of each of the discriminator's hidden layers (default %d)", rundir.FactorVAE, rundir.DefaultDiscriminatorWidth))
	fs.Float64Var(&o.DiscriminatorLR, "discriminator-lr", 0, rundir.FactorVAE+": learning rate of the discriminator's Adam (default: --lr)")
}
