package train

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/models"
)

// initFrom creates the model's variables in vars and overwrites them with
// the weights of the run cfg.Init (fine-tuning). Every variable the two
// models share must have the same shape.
func initFrom(b backends.Backend, cfg Config, vars *gctx.Context) error {
	ck, _, err := checkpoints.Latest(cfg.Init)
	if err != nil {
		return fmt.Errorf("--init %s: %w", cfg.Init, err)
	}
	m := cfg.Model
	build := func(ctx *gctx.Context, x *Node) *Node {
		mean, logVar := models.Encode(ctx, m, x)
		out := models.Decode(ctx, m, mean)
		return ReduceAllSum(models.ReconNLL(ctx, m, x, Add(out, ReduceAllSum(logVar))))
	}
	exec, err := gctx.NewExec(b, vars.Checked(false), build)
	if err != nil {
		return err
	}
	x := tensors.FromShape(m.ImageShape(1))
	if _, err := exec.Exec(x); err != nil {
		return fmt.Errorf("--init: creating the model's variables: %w", err)
	}
	shared := 0
	var mismatched []string
	for _, v := range ck.Vars {
		own := vars.GetVariableByScopeAndName(v.Scope, v.Name)
		if own == nil || !(strings.HasPrefix(v.Scope, "/encoder") || strings.HasPrefix(v.Scope, "/decoder")) {
			continue
		}
		if !own.Shape().Equal(v.Value.Shape()) {
			mismatched = append(mismatched, fmt.Sprintf("%s/%s is %s in %s but %s here",
				v.Scope, v.Name, v.Value.Shape(), cfg.Init, own.Shape()))
			continue
		}
		if err := own.SetValue(v.Value); err != nil {
			return fmt.Errorf("--init: setting %s/%s: %w", v.Scope, v.Name, err)
		}
		shared++
	}
	if len(mismatched) > 0 {
		return fmt.Errorf("--init %s: the models differ where weights are shared: %s", cfg.Init, strings.Join(mismatched, "; "))
	}
	if shared == 0 {
		return fmt.Errorf("--init %s: no weights in common with this model", cfg.Init)
	}
	return nil
}

// Diff lists the fields in which a and b (JSON-encodable values) differ, as
// "name: a vs b" items; empty when they agree.
func Diff(a, b any) string {
	fa, fb := flatten(a), flatten(b)
	var out []string
	for k, va := range fa {
		if vb, ok := fb[k]; !ok || va != vb {
			out = append(out, fmt.Sprintf("%s: %s vs %s", k, va, orNone(vb, ok)))
		}
	}
	for k, vb := range fb {
		if _, ok := fa[k]; !ok {
			out = append(out, fmt.Sprintf("%s: none vs %s", k, vb))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func orNone(s string, ok bool) string {
	if !ok {
		return "none"
	}
	return s
}

// flatten maps a value's JSON fields to their encoded values.
func flatten(v any) map[string]string {
	raw, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	out := map[string]string{}
	if json.Unmarshal(raw, &m) != nil {
		out[""] = string(raw)
		return out
	}
	for k, val := range m {
		out[k] = string(val)
	}
	return out
}
