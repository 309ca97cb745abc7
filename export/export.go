// Package export writes a trained run's weights in the safetensors format
// (https://github.com/huggingface/safetensors, written by package
// safetensors), for use outside latent.
//
// Only the model's weights are written (the moving averages of a run
// trained with them): the trainable variables under the encoder, decoder
// and topdown scopes, not the optimizer's moments, the step or the
// RNG state. A tensor's name is its variable's scope and name without the
// leading slash, such as "decoder/conv0/conv/weights". The header's
// __metadata__ holds the model configuration as JSON under "model", the
// checkpoint's step under "step" and latent's version under "latent_version".
package export

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/safetensors"
)

// modulePath is latent's module, whose version goes into the metadata.
const modulePath = "github.com/latent-vae/latent"

// Summary describes a written export.
type Summary struct {
	Step    int64 // the checkpoint's step
	Tensors int   // tensors written
	Params  int   // values in them
	Bytes   int64 // size of the file
}

// Run writes the weights of the latest checkpoint in runDir, with its model
// configuration, to path as a safetensors file, atomically.
func Run(runDir, path string) (Summary, error) {
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
	n, err := safetensors.Write(path, ts, meta)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Step: run.Step, Tensors: len(ts), Bytes: n}
	for _, t := range ts {
		s.Params += t.Value.Shape().Size()
	}
	return s, nil
}

// Weights returns the model's weights in ctx, a loaded run's variables (its
// moving averages when the run keeps them, see rundir.Load): the trainable
// variables under the encoder, decoder and (ladder) topdown scopes, named
// scope/name without the leading slash, sorted by name.
func Weights(ctx *context.Context) ([]safetensors.Tensor, error) {
	var out []safetensors.Tensor
	for v := range ctx.IterVariables() {
		scope := strings.TrimPrefix(v.Scope(), "/")
		top, _, _ := strings.Cut(scope, "/")
		if !v.Trainable || (top != "encoder" && top != "decoder" && top != "topdown") {
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
