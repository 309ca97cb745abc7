package rundir

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/data"
	"github.com/latent-vae/latent/models"
)

// CheckImages checks that every non-empty split of set holds images of the
// model's shape.
func (c Config) CheckImages(set *data.Set) error {
	m := c.Model
	for _, s := range []*data.Split{set.Train, set.Test} {
		if s.N > 0 && (s.Height != m.Height || s.Width != m.Width || s.Channels != m.Channels) {
			return fmt.Errorf("its images are %dx%dx%d (height×width×channels) but the model takes %dx%dx%d",
				s.Height, s.Width, s.Channels, m.Height, m.Width, m.Channels)
		}
	}
	if m.Conditional() && len(set.Classes) != m.Classes {
		return fmt.Errorf("it has %d classes but the model is conditional on %d (%s)", len(set.Classes), m.Classes, strings.Join(c.Classes, ", "))
	}
	return nil
}

// CheckCheckpoint checks that the model a checkpoint was saved with is the
// model cfg describes, naming every field that differs.
func CheckCheckpoint(ck *checkpoints.Checkpoint, cfg Config) error {
	saved, err := DecodeConfig(ck.Config)
	if err != nil {
		return fmt.Errorf("checkpoint %s: config: %w", ck.Path, err)
	}
	if diff := Diff(saved.Model, cfg.Model); diff != "" {
		return fmt.Errorf("checkpoint %s does not match %s: %s", ck.Path, ConfigFile, diff)
	}
	return checkLogisticScale(ck, saved.Model)
}

// checkLogisticScale refuses a discretised-logistic checkpoint without the
// learned per-channel scale (models.LogisticLogScale): one saved when the
// decoder output a scale per subpixel, whose decoder no longer fits.
func checkLogisticScale(ck *checkpoints.Checkpoint, m models.Config) error {
	if m.Likelihood != models.DiscreteLogistic || len(ck.Vars) == 0 {
		return nil
	}
	for _, v := range ck.Vars {
		if v.Scope == "/decoder" && v.Name == "log_scale" {
			return nil
		}
	}
	return fmt.Errorf("checkpoint %s has no decoder/log_scale: it was saved when the %q likelihood's decoder gave a scale per subpixel, "+
		"which lost the shapes of flat-coloured images; this version learns one scale per channel: train the run again", ck.Path, models.DiscreteLogistic)
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
