package prior

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/latent-vae/latent/internal/schedule"
	"github.com/latent-vae/latent/models"
)

// The diffusion prior is a denoising diffusion model over the (standardised)
// code (Ho et al. 2020; in a latent space, Vahdat et al. 2021, Rombach et al.
// 2022): a residual MLP with a sinusoidal time embedding predicts the noise ε
// in z_t = √ᾱ(t)·z₀ + √(1−ᾱ(t))·ε, with ᾱ the cosine schedule of Nichol &
// Dhariwal (2021) over continuous time t ∈ [0, 1]. Sampling runs DDIM (Song
// et al. 2021, η = 0) from t = 1 to 0 in a number of steps the caller sets.

// DiffusionConfig is the denoiser's architecture and its training recipe.
type DiffusionConfig struct {
	Width     int     `json:"width"`      // units of the residual MLP
	Blocks    int     `json:"blocks"`     // residual blocks
	Steps     int64   `json:"steps"`      // training steps
	BatchSize int     `json:"batch_size"` // codes per step
	LR        float64 `json:"lr"`         // Adam's learning rate
	EMA       float64 `json:"ema"`        // decay of the weights' moving average used to sample
	// Skip adds a linear map of the noisy code to the predicted noise,
	// beside the MLP's output (priors fitted before it lack it: false).
	Skip bool `json:"skip,omitempty"`
	// Whiten fits the denoiser to the codes whitened in their principal
	// axes (Config.Basis) rather than standardised per dimension (priors
	// fitted before it lack it: false).
	Whiten bool `json:"whiten,omitempty"`
	// Predict is what the denoiser predicts: PredictNoise ("", the noise
	// ε, as priors fitted before it did) or PredictV (v-prediction).
	Predict string `json:"predict,omitempty"`
}

// What a diffusion prior's denoiser predicts (DiffusionConfig.Predict).
const (
	// PredictNoise is the noise ε in z_t = √ᾱ·z₀ + √(1−ᾱ)·ε.
	PredictNoise = ""
	// PredictV is v = √ᾱ·ε − √(1−ᾱ)·z₀ (Salimans & Ho 2022): on codes of
	// unit variance, what a Gaussian's denoiser predicts is 0.
	PredictV = "v"
)

// DefaultDiffusion is the recipe `latent prior fit --kind diffusion` uses
// unless told otherwise, chosen on make demo's run among the recipes in
// docs/numbers.md. Its 12,000 steps keep the whole fit within 5 minutes on
// the slowest CPU seen here (the AVX2-only EPYC, about 1.9 times a Zen 4's
// time) with room for a slower run or a loaded machine: on make demo's
// run they scored FID 8.08 against 7.79 after 16,000 steps (within what
// two samples differ by) and 6.78 after 32,000, which took twice as long;
// since each fit chooses its sampling temperature the mixture prior scores
// better than any of them. A wider MLP or a larger batch paid less for
// their time; a decaying or higher rate, a slower average and scale-shift
// time conditioning did not help. The skip path took FID from 8.42 to 7.74
// on that run, and 11.38 to 9.22 on a 32-d one. Whitening the codes and
// predicting v (--whiten, --predict v) converge in fewer steps on 32-d
// codes (FID 12.7 against 18.0 at 8,000 steps), but at 16,000 steps they
// scored 8.44 on a make demo run where this recipe scores 7.79, so they
// are not the default ("The diffusion prior on 32-dimensional codes").
func DefaultDiffusion() DiffusionConfig {
	return DiffusionConfig{Width: 128, Blocks: 3, Steps: 12000, BatchSize: 256, LR: 2e-3, EMA: 0.999, Skip: true}
}

// schedule is the fit's learning rate: a linear warm-up over WarmupSteps,
// then LR held, so a fit resumed with more steps follows the schedule of
// one asked for them from the start.
func (c DiffusionConfig) schedule() schedule.LR {
	return schedule.LR{Peak: c.LR, Warmup: WarmupSteps}
}

// Validate reports the first field out of range.
func (c DiffusionConfig) Validate() error {
	switch {
	case c.Width < 1:
		return fmt.Errorf("width %d: want at least 1", c.Width)
	case c.Blocks < 1:
		return fmt.Errorf("blocks %d: want at least 1", c.Blocks)
	case c.Steps < 1:
		return fmt.Errorf("steps %d: want at least 1", c.Steps)
	case c.BatchSize < 1:
		return fmt.Errorf("batch size %d: want at least 1", c.BatchSize)
	case !(c.LR > 0):
		return fmt.Errorf("learning rate %g: want > 0", c.LR)
	case !(c.EMA >= 0 && c.EMA < 1):
		return fmt.Errorf("EMA decay %g: want ≥ 0 and < 1", c.EMA)
	case c.Predict != PredictNoise && c.Predict != PredictV:
		return fmt.Errorf("prediction %q: want %q (the noise) or %q", c.Predict, "eps", PredictV)
	}
	return nil
}

const (
	cosineOffset = 0.008 // s of the cosine schedule
	minAlphaBar  = 1e-4  // ᾱ(1) is clipped here, so the last step's x₀ estimate stays finite
	timeFeatures = 64    // sinusoidal features of t
	clipX0       = 6.0   // x₀ estimates are clipped to ±6 standard deviations while sampling
)

// alphaBar is the cosine schedule's ᾱ(t) for t in [0, 1] (a graph of t).
func alphaBar(t *Node) *Node {
	f := func(t *Node) *Node {
		return Square(Cos(MulScalar(DivScalar(AddScalar(t, cosineOffset), 1+cosineOffset), math.Pi/2)))
	}
	a := Div(f(t), f(ScalarZero(t.Graph(), t.DType())))
	return ClipScalar(a, minAlphaBar, 1)
}

// timeEmbedding maps t [B] to sinusoidal features [B, timeFeatures].
func timeEmbedding(t *Node) *Node {
	half := timeFeatures / 2
	freqs := make([]float32, half)
	for i := range freqs {
		freqs[i] = float32(math.Exp(-math.Log(1000) * float64(i) / float64(half-1)))
	}
	arg := Mul(ExpandAxes(MulScalar(t, 1000), -1), ExpandAxes(Const(t.Graph(), freqs), 0))
	return Concatenate([]*Node{Sin(arg), Cos(arg)}, -1)
}

// Denoise is the denoiser: the noise predicted in codes zt [B, D] at times t
// [B], for a conditional prior given labels [B] (int32; nil otherwise).
func Denoise(ctx *context.Context, cfg Config, zt, t, labels *Node) *Node {
	ctx = ctx.In("denoiser")
	w := cfg.Diffusion.Width
	temb := models.Dense(ctx.In("time0"), timeEmbedding(t), w)
	temb = models.Dense(ctx.In("time1"), activations.Swish(temb), w)
	if cfg.Classes > 0 {
		y := OneHot(labels, cfg.Classes, zt.DType())
		temb = Add(temb, models.Dense(ctx.In("label"), y, w))
	}
	h := models.Dense(ctx.In("in"), zt, w)
	for i := range cfg.Diffusion.Blocks {
		b := ctx.In(fmt.Sprintf("block%d", i))
		u := layers.LayerNormalization(b.In("norm"), h, -1).Done()
		u = Add(u, models.Dense(b.In("time"), activations.Swish(temb), w))
		u = models.Dense(b.In("up"), activations.Swish(u), 2*w)
		u = models.Dense(b.In("down"), activations.Swish(u), w)
		h = Add(h, u)
	}
	h = layers.LayerNormalization(ctx.In("outnorm"), h, -1).Done()
	eps := models.Dense(ctx.In("out"), activations.Swish(h), cfg.Latent)
	if cfg.Diffusion.Skip {
		eps = Add(eps, models.Dense(ctx.In("skip"), zt, cfg.Latent))
	}
	return eps
}

// DiffusionLoss is the ε-prediction loss on a batch of standardised codes
// z0 [B, D]: the mean squared error of the noise predicted at times drawn
// uniformly from [0, 1], with noise and times from ctx's RNG.
func DiffusionLoss(ctx *context.Context, cfg Config, z0, labels *Node) *Node {
	g := z0.Graph()
	t := ctx.RandomUniform(g, shapes.Make(z0.DType(), z0.Shape().Dimensions[0]))
	return noiseLoss(ctx, cfg, z0, labels, t, ctx.RandomNormal(g, z0.Shape()))
}

// noiseLoss is the mean squared error of the denoiser's prediction (the
// noise, or v) in codes z0 [B, D] noised with eps [B, D] to times t [B].
func noiseLoss(ctx *context.Context, cfg Config, z0, labels, t, eps *Node) *Node {
	a := ExpandAxes(alphaBar(t), -1)
	sa, sb := Sqrt(a), Sqrt(OneMinus(a))
	zt := Add(Mul(sa, z0), Mul(sb, eps))
	target := eps
	if cfg.Diffusion.Predict == PredictV {
		target = Sub(Mul(sa, eps), Mul(sb, z0))
	}
	return ReduceAllMean(Square(Sub(Denoise(ctx, cfg, zt, t, labels), target)))
}

// ddimStep moves codes zt [B, D] at time t to time tPrev < t (scalars):
// the deterministic DDIM update from the denoiser's estimate of z₀.
func ddimStep(ctx *context.Context, cfg Config, zt, t, tPrev, labels *Node) *Node {
	b := zt.Shape().Dimensions[0]
	ts := BroadcastToDims(t, b)
	out := Denoise(ctx, cfg, zt, ts, labels)
	a, aPrev := alphaBar(t), alphaBar(tPrev)
	aPrev = Where(LessOrEqual(tPrev, ScalarZero(t.Graph(), t.DType())), OnesLike(aPrev), aPrev)
	var x0, eps *Node
	if cfg.Diffusion.Predict == PredictV {
		x0 = ClipScalar(Sub(Mul(Sqrt(a), zt), Mul(Sqrt(OneMinus(a)), out)), -clipX0, clipX0)
		eps = Add(Mul(Sqrt(OneMinus(a)), zt), Mul(Sqrt(a), out))
	} else {
		eps = out
		x0 = Div(Sub(zt, Mul(Sqrt(OneMinus(a)), eps)), Sqrt(a))
		x0 = ClipScalar(x0, -clipX0, clipX0)
	}
	return Add(Mul(Sqrt(aPrev), x0), Mul(Sqrt(OneMinus(aPrev)), eps))
}

// Diffusion samples codes from a fitted diffusion prior.
type Diffusion struct {
	cfg   Config
	ctx   *context.Context
	step  *context.Exec
	batch int
}

// NewDiffusion compiles the sampling step of the prior whose (averaged)
// weights ctx holds, for batches of batch codes.
func NewDiffusion(b backends.Backend, ctx *context.Context, cfg Config, batch int) (*Diffusion, error) {
	exec, err := context.NewExec(b, ctx.Reuse(), func(ctx *context.Context, zt, t, tPrev, labels *Node) *Node {
		return ddimStep(ctx, cfg, zt, t, tPrev, labels)
	})
	if err != nil {
		return nil, fmt.Errorf("building the diffusion sampler: %w", err)
	}
	return &Diffusion{cfg: cfg, ctx: ctx, step: exec, batch: batch}, nil
}

// Finalize frees the compiled step.
func (d *Diffusion) Finalize() { d.step.Finalize() }

// Sample draws n codes (n*Latent values) in steps DDIM steps from noise of
// standard deviation temperature drawn with seed; a conditional prior
// takes one label per code.
func (d *Diffusion) Sample(n int, seed int64, temperature float64, labels []int, steps int) ([]float32, error) {
	if steps < 1 {
		return nil, fmt.Errorf("%d sampling steps: want at least 1", steps)
	}
	dim := d.cfg.Latent
	noise := normalNoise(n*dim, seed, temperature)
	out := make([]float32, 0, n*dim)
	for start := 0; start < n; start += d.batch {
		count := min(d.batch, n-start)
		z := make([]float32, d.batch*dim)
		copy(z, noise[start*dim:(start+count)*dim])
		ys := make([]int32, d.batch)
		for i := range count {
			if labels != nil {
				ys[i] = int32(labels[start+i])
			}
		}
		for s := steps; s >= 1; s-- {
			t, tPrev := float32(s)/float32(steps), float32(s-1)/float32(steps)
			res, err := d.step.Exec(tensors.FromFlatDataAndDimensions(z, d.batch, dim), t, tPrev,
				tensors.FromFlatDataAndDimensions(ys, d.batch))
			if err != nil {
				return nil, fmt.Errorf("diffusion step %d: %w", s, err)
			}
			z = tensors.MustCopyFlatData[float32](res[0])
			res[0].FinalizeAll()
		}
		out = append(out, z[:count*dim]...)
	}
	return d.cfg.unstandardise(out), nil
}

// FitDiffusion trains a diffusion prior of cfg on the training codes
// (fitNetwork: Adam after a warm-up, a moving average of the weights,
// checkpoints, resume, a lock on dir, the held-out loss in metrics.csv).
func FitDiffusion(b backends.Backend, dir string, cfg Config, training, heldOut Codes, opt FitOptions) error {
	cfg.Kind = KindDiffusion
	if err := cfg.Diffusion.Validate(); err != nil {
		return fmt.Errorf("diffusion prior: %w", err)
	}
	return lockedFit(dir, func() error {
		ctx, start, saved, err := netContext(dir, cfg, opt.Resume)
		if err != nil {
			return err
		}
		if saved != nil {
			if saved.Diffusion == nil {
				return fmt.Errorf("%s: holds no diffusion prior's config", dir)
			}
			// A resumed fit keeps the denoiser's skip path as it was fitted
			// (priors fitted before it have none); the caller's recipe stays.
			d := *cfg.Diffusion
			d.Skip, d.Whiten, d.Predict = saved.Diffusion.Skip, saved.Diffusion.Whiten, saved.Diffusion.Predict
			cfg.Diffusion = &d
			cfg.Basis = saved.Basis
		}
		net := &diffusionNet{cfg: cfg, train: training, test: heldOut,
			z: cfg.standardise(training.Z), zTest: cfg.standardise(heldOut.Z)}
		return fitNetwork(b, dir, cfg, ctx, start, net, opt)
	})
}

// diffusionNet is the diffusion prior's fit: the denoiser's ε loss on
// standardised codes.
type diffusionNet struct {
	cfg         Config
	train, test Codes
	z, zTest    []float32 // standardised codes
}

func (n *diffusionNet) what() string { return "diffusion prior" }

func (n *diffusionNet) recipe() netRecipe {
	d := n.cfg.Diffusion
	return netRecipe{Steps: d.Steps, LR: d.LR, Schedule: d.schedule(), EMA: d.EMA}
}

func (n *diffusionNet) loss(ctx *context.Context, in []*Node) *Node {
	return DiffusionLoss(ctx, n.cfg, in[0], in[1])
}

func (n *diffusionNet) heldOutLoss(ctx *context.Context, in []*Node) *Node {
	return noiseLoss(ctx, n.cfg, in[0], in[1], in[2], in[3])
}

// batch returns step's batch: codes drawn with replacement by a generator
// seeded by the seed and the step, and their labels.
func (n *diffusionNet) batch(step int64) []*tensors.Tensor {
	d, rows, bs := n.cfg.Latent, n.train.rows(n.cfg.Latent), n.cfg.Diffusion.BatchSize
	rng := rand.New(rand.NewPCG(uint64(n.cfg.Seed), uint64(step)))
	z, y := make([]float32, bs*d), make([]int32, bs)
	for i := range bs {
		j := rng.IntN(rows)
		copy(z[i*d:(i+1)*d], n.z[j*d:(j+1)*d])
		if n.train.Labels != nil {
			y[i] = int32(n.train.Labels[j])
		}
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(z, bs, d), tensors.FromFlatDataAndDimensions(y, bs)}
}

// heldOut is the held-out codes (up to 4,096 of them) with times and noise
// drawn from a fixed seed, so successive losses compare.
func (n *diffusionNet) heldOut() []*tensors.Tensor {
	d := n.cfg.Latent
	rows := min(n.test.rows(d), 4096)
	if rows == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(n.cfg.Seed), 0x74657374))
	t, eps, y := make([]float32, rows), make([]float32, rows*d), make([]int32, rows)
	for i := range t {
		t[i] = rng.Float32()
		if n.test.Labels != nil {
			y[i] = int32(n.test.Labels[i])
		}
	}
	for i := range eps {
		eps[i] = float32(rng.NormFloat64())
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(n.zTest[:rows*d], rows, d),
		tensors.FromFlatDataAndDimensions(y, rows), tensors.FromFlatDataAndDimensions(t, rows),
		tensors.FromFlatDataAndDimensions(eps, rows, d)}
}

// KindDiffusion is the diffusion prior: a denoising diffusion model over
// the code, conditional on the label for a conditional run.
const KindDiffusion = "diffusion"

func init() {
	register(Kind{Name: KindDiffusion, Rank: 30, Draws: 4, Help: "a denoising diffusion model: minutes",
		Flags: diffusionFlags,
		Open: func(s *Saved, b backends.Backend, opt OpenOptions) (Sampler, error) {
			d, err := s.Diffusion(b, opt.Batch)
			if err != nil {
				return nil, err
			}
			return diffusionSampler{d, opt.Steps}, nil
		},
		Describe: func(c Config) string {
			if c.Diffusion == nil {
				return c.Kind
			}
			d := c.Diffusion
			var extra string
			if d.Whiten {
				extra += ", whitened"
			}
			if d.Predict == PredictV {
				extra += ", v-prediction"
			}
			return fmt.Sprintf("diffusion (width %d, %d blocks, %d steps%s)", d.Width, d.Blocks, d.Steps, extra)
		},
	})
}

// diffusionSampler samples a diffusion prior in a set number of DDIM steps.
type diffusionSampler struct {
	d     *Diffusion
	steps int
}

// Sample draws n codes in s.steps DDIM steps.
func (s diffusionSampler) Sample(n int, seed int64, temperature float64, labels []int) ([]float32, error) {
	return s.d.Sample(n, seed, temperature, labels, s.steps)
}

// Close frees the compiled step.
func (s diffusionSampler) Close() { s.d.Finalize() }

// diffusionRecipe is a diffusion fit: its recipe's flags and --resume.
type diffusionRecipe struct {
	cfg     DiffusionConfig
	resume  *bool
	predict *string // --predict: "eps" or "v"
}

// diffusionFlags defines the diffusion prior's flags, DefaultDiffusion's
// values their defaults.
func diffusionFlags(fs *flag.FlagSet) Recipe {
	r := &diffusionRecipe{cfg: DefaultDiffusion()}
	r.resume = fs.Bool("resume", false, "diffusion: continue the fit (an interrupted one, else the prior in place) from its latest checkpoint to --steps")
	d := &r.cfg
	fs.Int64Var(&d.Steps, "steps", d.Steps, "diffusion: training steps")
	fs.IntVar(&d.Width, "width", d.Width, "diffusion: units of the denoiser's residual MLP")
	fs.IntVar(&d.Blocks, "blocks", d.Blocks, "diffusion: residual blocks of the denoiser")
	fs.IntVar(&d.BatchSize, "batch", d.BatchSize, "diffusion: codes per training step")
	fs.Float64Var(&d.LR, "lr", d.LR, fmt.Sprintf("diffusion: Adam's learning rate (after a %d-step warm-up)", WarmupSteps))
	fs.Float64Var(&d.EMA, "ema", d.EMA, "diffusion: decay of the weights' moving average that samples (0: none)")
	fs.BoolVar(&d.Whiten, "whiten", d.Whiten, "diffusion: fit the codes whitened in their principal axes (false: standardised per dimension)")
	r.predict = fs.String("predict", predictName(d.Predict), "diffusion: what the denoiser predicts: eps (the noise) or v")
	return r
}

// predictName is --predict's word for p.
func predictName(p string) string {
	if p == PredictNoise {
		return "eps"
	}
	return p
}

// Check refuses a recipe out of range (DiffusionConfig.Validate).
func (r *diffusionRecipe) Check() error {
	switch *r.predict {
	case "eps":
		r.cfg.Predict = PredictNoise
	case PredictV:
		r.cfg.Predict = PredictV
	default:
		return fmt.Errorf("diffusion flags: --predict %q: want eps (the noise) or v", *r.predict)
	}
	if err := r.cfg.Validate(); err != nil {
		return fmt.Errorf("diffusion flags: %w", err)
	}
	return nil
}

// Resume is --resume.
func (r *diffusionRecipe) Resume() bool { return *r.resume }

// Ready refuses to resume a fit that has done --steps already.
func (r *diffusionRecipe) Ready(w *Workspace, _ Config, _ []int) error {
	return w.needMoreSteps(r.cfg.Steps)
}

// Fit trains the denoiser on the standardised codes (FitDiffusion).
func (r *diffusionRecipe) Fit(j Job) (string, error) {
	if err := r.Check(); err != nil { // --predict's word into the recipe
		return "", err
	}
	cfg, w := j.Config, j.Workspace
	cfg.Components, cfg.Diffusion = 0, &r.cfg
	cfg.Moments(j.Training.Z)
	if r.cfg.Whiten {
		if err := cfg.Whitening(j.Training.Z); err != nil {
			return "", fmt.Errorf("diffusion prior: %w", err)
		}
	}
	opt := FitOptions{Resume: w.Done > 0, SaveEvery: 1000, EvalEvery: 1000, Stop: j.Stop,
		Progress: j.progress("fitting the diffusion prior", r.cfg.Steps)}
	if err := FitDiffusion(j.Backend, w.Dir, cfg, j.Training, j.HeldOut, opt); err != nil {
		return "", err
	}
	from := w.resumedAt()
	return fmt.Sprintf("fitted a diffusion prior (width %d, %d blocks, %d steps%s) to %d codes (posterior draws at temperature %g) in %.1fs; saved in %s (metrics.csv: held-out loss)\n",
		r.cfg.Width, r.cfg.Blocks, r.cfg.Steps, from, len(j.Training.Z)/cfg.Latent, cfg.DrawTemperature, time.Since(j.Start).Seconds(), w.Final), nil
}
