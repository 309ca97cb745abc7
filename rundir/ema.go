package rundir

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// UpdateAverages moves each trainable variable's average (a variable of the
// same name under EMAScope, starting at zero) towards its value after the
// step: a ← decay·a + (1 − decay)·v. Load divides the averages by
// 1 − decay^steps (UseAverages), which removes the zero start's bias. The
// VAE's training (train) and a prior's fit (prior) both use it.
func UpdateAverages(ctx *context.Context, g *Graph, decay float64) {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	for _, v := range vars {
		a := ctx.InAbsPath(EMAScope+v.Scope()).WithInitializer(initializers.Zero).
			VariableWithShape(v.Name(), v.Shape()).SetTrainable(false)
		a.SetValueGraph(Add(MulScalar(a.ValueGraph(g), decay), MulScalar(v.ValueGraph(g), 1-decay)))
	}
}
