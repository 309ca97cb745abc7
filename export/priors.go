package export

import (
	"encoding/json"
	"fmt"

	"github.com/latent-vae/latent/prior"
	"github.com/latent-vae/latent/rundir"
	"github.com/latent-vae/latent/safetensors"
)

// PriorPrefix begins the names of an exported prior's tensors and its
// metadata key: "prior/KIND/…" and "prior/KIND".
const PriorPrefix = "prior/"

// PriorKey is the metadata key of the exported prior of kind, whose value
// is its prior.ExportSpec as JSON.
func PriorKey(kind string) string { return PriorPrefix + kind }

// priorTensors reads run's fitted prior of kind, checks that it was fitted
// to this run (a prior of another run, code size or model is an error; one
// of an earlier checkpoint of the run a warning) and returns its tensors
// named PriorKey(kind)+"/NAME", its summary and its spec as JSON.
func priorTensors(run *rundir.Run, kind string) ([]safetensors.Tensor, PriorSummary, string, error) {
	fail := func(err error) ([]safetensors.Tensor, PriorSummary, string, error) {
		return nil, PriorSummary{}, "", fmt.Errorf("the %s prior: %w", kind, err)
	}
	saved, err := prior.Read(run.Dir, kind)
	if err != nil {
		return fail(err)
	}
	origin, err := prior.OriginOf(run)
	if err != nil {
		return fail(err)
	}
	warning, err := origin.Check(saved.Config, saved.Ckpt.Path)
	if err != nil {
		return fail(err)
	}
	e, err := saved.Export()
	if err != nil {
		return fail(err)
	}
	spec, err := json.Marshal(e.Spec)
	if err != nil {
		return fail(err)
	}
	s := PriorSummary{Kind: kind, Describe: saved.Config.Describe(), Tensors: len(e.Tensors), Warning: warning}
	out := make([]safetensors.Tensor, len(e.Tensors))
	for i, t := range e.Tensors {
		out[i] = safetensors.Tensor{Name: PriorKey(kind) + "/" + t.Name, Value: t.Value}
		s.Params += t.Value.Shape().Size()
	}
	return out, s, string(spec), nil
}
