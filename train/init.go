package train

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/backends"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// initFrom creates the model's variables in vars and overwrites them with
// the weights of the run cfg.Init (fine-tuning), and a VQ model's codebook
// and cluster sizes, which its moving averages train. Every variable the two
// models share must have the same shape.
func initFrom(b backends.Backend, cfg rundir.Config, vars *gctx.Context) error {
	ck, _, err := checkpoints.Latest(cfg.Init)
	if err != nil {
		return fmt.Errorf("init run %s: %w", cfg.Init, err)
	}
	if err := models.CreateVariables(b, vars, cfg.Model); err != nil {
		return err
	}
	shared := 0
	var mismatched []string
	for _, v := range ck.Vars {
		own := vars.GetVariableByScopeAndName(v.Scope, v.Name)
		if own == nil || !(v.Trainable || models.IsQuantizerState(v.Scope)) { // the weights and a codebook, not the optimiser state, RNG or averages
			continue
		}
		if !own.Shape().Equal(v.Value.Shape()) {
			mismatched = append(mismatched, fmt.Sprintf("%s/%s is %s in %s but %s here",
				v.Scope, v.Name, v.Value.Shape(), cfg.Init, own.Shape()))
			continue
		}
		if err := own.SetValue(v.Value); err != nil {
			return fmt.Errorf("init run %s: setting %s/%s: %w", cfg.Init, v.Scope, v.Name, err)
		}
		shared++
	}
	if len(mismatched) > 0 {
		return fmt.Errorf("init run %s: the models differ where weights are shared: %s", cfg.Init, strings.Join(mismatched, "; "))
	}
	if shared == 0 {
		return fmt.Errorf("init run %s: no weights in common with this model", cfg.Init)
	}
	return nil
}
