// Package export writes a trained run's weights in the safetensors format
// (https://github.com/huggingface/safetensors, written by package
// safetensors), for use outside latent.
//
// Only the model's weights are written (the moving averages of a run
// trained with them): the trainable variables under the encoder, decoder
// and topdown scopes, and a VQ model's codebook ("vq/codebook" [K, D],
// learned by moving averages rather than the optimiser), not the
// optimizer's moments, the codebook's cluster sizes, the step or the RNG
// state. A tensor's name is its variable's scope and name without the
// leading slash, such as "decoder/conv0/conv/weights". The header's
// __metadata__ holds the model configuration as JSON under "model", the
// checkpoint's step under "step" and latent's version under "latent_version".
//
// The run's fitted priors chosen by Options.Priors go into the same file:
// each prior's tensors named "prior/KIND/NAME" (a mixture's weights, means
// and chols; the diffusion prior's "prior/diffusion/denoiser/…" weights),
// and its prior.ExportSpec as JSON under the metadata key "prior/KIND". A
// file without priors is what export wrote before priors were exported.
package export

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/safetensors"
)

// modulePath is latent's module, whose version goes into the metadata.
const modulePath = "github.com/latent-vae/latent"

// Summary describes a written export.
type Summary struct {
	Step    int64 // the checkpoint's step
	Tensors int   // tensors written, the priors' included
	Params  int   // values in them
	Bytes   int64 // size of the file
	// Priors are the priors written, in the order asked for.
	Priors []PriorSummary
}

// PriorSummary describes one prior written with the weights.
type PriorSummary struct {
	Kind     string
	Describe string // "gmm (10 components)"
	Tensors  int
	Params   int
	// Warning, when not "", says the prior was fitted to an earlier
	// checkpoint of the run than the one exported.
	Warning string
}

// Options choose what an export holds beside the model's weights.
type Options struct {
	// Priors are the kinds of the run's fitted priors to write with the
	// weights; each must be fitted to the exported run.
	Priors []string
}

// Run writes the weights of the latest checkpoint in runDir, with its model
// configuration and the priors opt names, to path as a safetensors file,
// atomically.
func Run(runDir, path string, opt Options) (Summary, error) {
	run, err := rundir.Load(runDir)
	if err != nil {
		return Summary{}, err
	}
	model, err := json.Marshal(run.Config.Model)
	if err != nil {
		return Summary{}, err
	}
	ts, err := Weights(run.Ctx)
	if err != nil {
		return Summary{}, err
	}
	if len(ts) == 0 {
		return Summary{}, fmt.Errorf("run %s holds no encoder or decoder weights", runDir)
	}
	meta := map[string]string{"model": string(model), "step": strconv.FormatInt(run.Step, 10), "latent_version": Version()}
	s := Summary{Step: run.Step}
	for _, kind := range opt.Priors {
		pts, ps, spec, err := priorTensors(run, kind)
		if err != nil {
			return Summary{}, err
		}
		ts, meta[PriorKey(kind)] = append(ts, pts...), spec
		s.Priors = append(s.Priors, ps)
	}
	n, err := safetensors.Write(path, ts, meta)
	if err != nil {
		return Summary{}, err
	}
	s.Tensors, s.Bytes = len(ts), n
	for _, t := range ts {
		s.Params += t.Value.Shape().Size()
	}
	return s, nil
}

// Weights returns the model's weights in ctx, a loaded run's variables (its
// moving averages when the run keeps them, see rundir.Load): the trainable
// variables under the encoder, decoder and (ladder) topdown scopes, and a
// VQ model's codebook, trained or not (models.IsCodebook), named scope/name
// without the leading slash, sorted by name.
func Weights(ctx *context.Context) ([]safetensors.Tensor, error) {
	var out []safetensors.Tensor
	for v := range ctx.IterVariables() {
		scope := strings.TrimPrefix(v.Scope(), "/")
		top, _, _ := strings.Cut(scope, "/")
		weight := v.Trainable && (top == "encoder" || top == "decoder" || top == "topdown")
		if !weight && !models.IsCodebook(v.Scope(), v.Name()) {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		out = append(out, safetensors.Tensor{Name: scope + "/" + v.Name(), Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Version is latent's module version as built into the running binary, or
// "(devel)" for a build from a work tree.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if info.Main.Path == modulePath {
		return info.Main.Version
	}
	for _, m := range info.Deps {
		if m.Path == modulePath {
			return m.Version
		}
	}
	return "(unknown)"
}
