package train

import (
	"fmt"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// The disentangling objectives of a training step (rundir.Objective.Kind
// and capacity annealing): their loss, the inputs they add to the step
// (capacity annealing's C, FactorVAE's permutations) and the values they
// add to its outputs (rundir.ObjectiveColumns).

// objectiveOutputs is the number of values a step of objective o adds to
// its outputs: β-TCVAE's MI, TC and DWKL; FactorVAE's TC estimate and its
// discriminator's loss and accuracy.
func objectiveOutputs(o rundir.Objective) int {
	if o.OneDevice() {
		return 3
	}
	return 0
}

// checkObjective checks cfg's objective before a session is built on
// devices devices: its settings and model, the training split's size
// β-TCVAE needs, and one device (the estimates of the total correlation
// span the whole batch).
func checkObjective(cfg rundir.Config, devices int) error {
	o := cfg.Objective
	if err := cfg.CheckObjective(); err != nil {
		return err
	}
	if !o.OneDevice() {
		return nil
	}
	if devices > 1 {
		return fmt.Errorf("%w: --objective %s trains on one device (its estimate of the total correlation spans the whole batch)", ErrDevices, o.Kind)
	}
	if o.Kind == rundir.BetaTCVAE {
		if o.TrainSize == 0 {
			return fmt.Errorf("--objective %s: the training split's size (Objective.TrainSize, set by train.Fit) is missing", o.Kind)
		}
		if _, err := models.LogImportanceWeights(cfg.BatchSize, o.TrainSize, o.TCEstimator); err != nil {
			return fmt.Errorf("--objective %s: %w", o.Kind, err)
		}
	}
	return nil
}

// objectiveArgs are the inputs a step of cfg's objective adds after the
// KL weight and the learning rate, for the step-th step (counted from 0)
// of a batch of n images.
func objectiveArgs(cfg rundir.Config, n int, step int64) []any {
	var args []any
	if cfg.Objective.Annealed() {
		args = append(args, float32(Capacity(cfg, step)))
	}
	if cfg.Objective.Kind == rundir.FactorVAE {
		d := cfg.Model.Latent
		args = append(args, tensors.FromFlatDataAndDimensions(models.Permutations(n, d, cfg.Seed, step), n, d))
	}
	return args
}

// objectiveGraph is what a step's objective builds: the loss the model's
// Adam minimises, the discriminator's loss (FactorVAE; nil otherwise) and
// the objective's outputs.
type objectiveGraph struct {
	loss, disc *Node
	outputs    []*Node
}

// buildObjective builds the loss of cfg's objective from the pass p, its
// terms t, the KL weight and the objective's inputs (objectiveArgs).
func buildObjective(ctx *context.Context, cfg rundir.Config, p models.Pass, t models.Terms, klWeight *Node, in []*Node) objectiveGraph {
	o := cfg.Objective
	switch {
	case o.Kind == rundir.BetaTCVAE:
		g := p.Groups[0]
		tc, err := models.DecomposeKL(Squeeze(g.Mean, 1), Squeeze(g.LogVar, 1), Squeeze(g.Z, 1), o.TrainSize, o.TCEstimator)
		if err != nil {
			panic(err) // checkObjective refused it before
		}
		return objectiveGraph{loss: tc.Loss(t.Recon, klWeight, o.Alpha, o.Gamma),
			outputs: []*Node{ReduceAllMean(tc.MI), ReduceAllMean(tc.TC), ReduceAllMean(tc.DWKL)}}
	case o.Kind == rundir.FactorVAE:
		return factorVAE(ctx, cfg, p, t, klWeight, in[0])
	case o.Annealed():
		c := ConvertDType(in[0], t.KL.DType())
		gap := Abs(Sub(ReduceAllMean(t.KL), c))
		return objectiveGraph{loss: Add(ReduceAllMean(t.Recon), MulScalar(gap, o.Gamma))}
	}
	loss := t.Loss(klWeight, o.FreeBits)
	if o.IWTrain > 1 {
		loss = t.WithQuantizer(Neg(ReduceAllMean(models.IWBound(p.LogWeights(klWeight)))))
	}
	return objectiveGraph{loss: loss}
}

// factorVAE builds FactorVAE's losses: the ELBO with β plus γ times the
// discriminator's logit at the batch's codes, and the discriminator's
// cross-entropy between the codes and the same batch's codes with each
// dimension permuted across it by perm [B, D] (Kim & Mnih draw a second
// batch for the permuted codes; one batch saves a second encoder pass,
// and permuting each dimension on its own breaks the pairs all the same).
// The discriminator sees the permuted codes without their gradient; the
// model's loss reaches its variables only through the frozen update (see
// updateFactorVAE).
func factorVAE(ctx *context.Context, cfg rundir.Config, p models.Pass, t models.Terms, klWeight, perm *Node) objectiveGraph {
	o := cfg.Objective
	z := Squeeze(p.Groups[0].Z, 1)
	b := z.Shape().Dimensions[0]
	zp := models.PermuteDims(StopGradient(z), perm)
	logits := models.Discriminator(ctx, Concatenate([]*Node{z, zp}, 0), o.DiscriminatorLayers, o.DiscriminatorWidth)
	joint, permuted := Slice(logits, AxisRange(0, b)), Slice(logits, AxisRange(b, 2*b))
	tc := ReduceAllMean(joint)
	loss := Add(t.Loss(klWeight, 0), MulScalar(tc, o.Gamma))
	discLoss, acc := models.DiscriminatorLoss(joint, permuted)
	return objectiveGraph{loss: loss, disc: discLoss, outputs: []*Node{tc, discLoss, acc}}
}

// update builds the step's parameter updates: opt minimises the model's
// loss; for FactorVAE, the model's Adam sees the discriminator's variables
// frozen, and then the discriminator's own Adam (Kim & Mnih's: betas 0.5
// and 0.9, its moments and step under DiscriminatorScope) minimises its
// loss with every other variable frozen. Both read the variables as they
// were before the step.
func (og objectiveGraph) update(ctx *context.Context, cfg rundir.Config, g *Graph, opt optimizers.Interface) {
	if og.disc == nil {
		opt.UpdateGraph(ctx, g, og.loss)
		return
	}
	scope := context.ScopeSeparator + models.DiscriminatorScope
	inDisc := func(v *context.Variable) bool {
		return v.Scope() == scope || strings.HasPrefix(v.Scope(), scope+context.ScopeSeparator)
	}
	frozen(ctx, inDisc, func() { opt.UpdateGraph(ctx, g, og.loss) })
	dopt := optimizers.Adam().LearningRate(cfg.Objective.DiscriminatorLR).Betas(0.5, 0.9).Scope(models.DiscriminatorScope + "_adam").Done()
	frozen(ctx, func(v *context.Variable) bool { return !inDisc(v) }, func() {
		dopt.UpdateGraph(ctx.In(models.DiscriminatorScope), g, og.disc)
	})
}

// frozen runs build with the trainable variables of ctx that match marked
// as not trainable, and marks them trainable again after.
func frozen(ctx *context.Context, match func(*context.Variable) bool, build func()) {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && match(v) {
			vars = append(vars, v)
			v.Trainable = false
		}
	}
	defer func() {
		for _, v := range vars {
			v.Trainable = true
		}
	}()
	build()
}

// Capacity is capacity annealing's C at a step (counted from 0): raised
// linearly from 0 to Objective.Capacity over Objective.CapacitySteps
// steps, then held; 0 for a run without it. Like the KL warm-up it is a
// function of the step alone, so a resumed run follows the same schedule.
func Capacity(cfg rundir.Config, step int64) float64 {
	o := cfg.Objective
	if !o.Annealed() {
		return 0
	}
	if step >= o.CapacitySteps {
		return o.Capacity
	}
	return o.Capacity * float64(step) / float64(o.CapacitySteps)
}

// objectiveLosses sets l's terms of objective o from a step's outputs of
// it (objectiveOutputs of them), which it finalizes.
func objectiveLosses(l *models.Losses, o rundir.Objective, out []*tensors.Tensor) {
	switch o.Kind {
	case rundir.BetaTCVAE:
		l.MI, l.TC, l.DWKL = scalar(out[0]), scalar(out[1]), scalar(out[2])
	case rundir.FactorVAE:
		l.TC, l.DiscLoss, l.DiscAccuracy = scalar(out[0]), scalar(out[1]), scalar(out[2])
	}
}
