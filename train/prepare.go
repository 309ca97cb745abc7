package train

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// Prepare checks the settings of a run for Fit as `latent train`'s flags
// give them, and completes cfg from them: the encoder's widths and an FSQ
// model's levels (comma-separated; levels "" for the model's), the
// spellings "constant" and "none" of the defaults, the model family's
// defaults, and 10 epochs for a new run given no length. o.Given names the
// flags given: with o.Resume only those that configure no run are taken.
// Its errors name the flags.
func (o Options) Prepare(cfg *rundir.Config, widths, levels string) error {
	if err := checkResume(o.Given, o.Resume); err != nil {
		return err
	}
	w, err := parseInts(widths)
	if err != nil {
		return fmt.Errorf("--widths: %w", err)
	}
	cfg.Model.Widths = w
	if cfg.Objective.LRSchedule == "constant" {
		cfg.Objective.LRSchedule = rundir.ConstantLR
	}
	if cfg.Model.Norm == "none" {
		cfg.Model.Norm = models.NormNone
	}
	if err := prepareQuantizer(&cfg.Model, o.Given, levels); err != nil {
		return err
	}
	cfg.Model = models.WithFamilyDefaults(cfg.Model)
	if err := cfg.Objective.Validate(); err != nil {
		return fmt.Errorf("--iw-train, --free-bits, --lr-schedule, --warmup-steps or --ema: %w", err)
	}
	if !o.Resume {
		if err := prepareObjective(cfg, o.Given, o.Devices); err != nil {
			return err
		}
	}
	if o.Out == "" {
		return errors.New("--out: a run folder is required")
	}
	if err := cfg.CheckNumbers(); err != nil {
		return err
	}
	if !o.Resume && cfg.Epochs == 0 && cfg.Steps == 0 {
		cfg.Epochs = 10
	}
	return nil
}

// prepareObjective gives cfg.Objective's settings not given their
// defaults and checks them with the model and the devices asked for (0:
// all, which an objective of one device takes as 1); given names the flags
// given.
func prepareObjective(cfg *rundir.Config, given map[string]bool, devices int) error {
	o := &cfg.Objective
	if o.Kind == "elbo" {
		o.Kind = rundir.ELBOObjective
	}
	*o = rundir.DefaultObjective(*o, cfg.LR, given["alpha"])
	if devices > 1 && o.OneDevice() {
		return fmt.Errorf("--devices %d: --objective %s trains on one device (its estimate of the total correlation spans the whole batch)", devices, o.Kind)
	}
	return cfg.CheckObjective()
}

// OneDevice reports whether the run that o trains (new, with the config
// cfg, or in o.Out when resuming) has an objective that trains on one
// device: then it does so unless --devices says otherwise, which Prepare
// refuses.
func (o Options) OneDevice(cfg rundir.Config) bool {
	if !o.Resume {
		return cfg.Objective.OneDevice()
	}
	saved, err := rundir.ReadConfig(o.Out)
	return err == nil && saved.Objective.OneDevice()
}

// prepareQuantizer completes a vq model's config m from the flags given:
// the FSQ levels, and (for FSQ) no latent size unless given, so that the
// model's defaults fill it and a given one is checked. It refuses the
// quantiser's flags on another model, and --hidden on a vq model.
func prepareQuantizer(m *models.Config, given map[string]bool, levels string) error {
	if m.Network() != models.VQModel {
		for _, f := range []string{"quantizer", "codebook", "codebook-update", "no-restarts", "levels"} {
			if given[f] {
				return fmt.Errorf("--%s: only --model %s quantizes its code", f, models.VQModel)
			}
		}
		return nil
	}
	if given["hidden"] {
		return fmt.Errorf("--hidden: the %s model has no dense layer", models.VQModel)
	}
	if given["levels"] {
		l, err := parseInts(levels)
		if err != nil {
			return fmt.Errorf("--levels: %w", err)
		}
		m.Levels = l
	}
	if m.Quantizer == models.QuantizerFSQ && !given["latent"] {
		m.Latent = len(m.Levels)
		if len(m.Levels) == 0 {
			m.Latent = len(models.DefaultLevels())
		}
	}
	return nil
}

// checkResume refuses configuration flags (given) alongside --resume
// (resume): the config comes from the run folder. Flags that configure no
// run (the run folder, the backend, the devices, the new end, --quiet)
// are allowed.
func checkResume(given map[string]bool, resume bool) error {
	if !resume {
		return nil
	}
	var bad []string
	for name := range given {
		switch name {
		case "out", "resume", "backend", "devices", "steps", "epochs", "quiet":
		default:
			bad = append(bad, "--"+name)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("%s cannot be changed with --resume: the run's config comes from its folder (only --steps/--epochs may set a new end)", strings.Join(bad, ", "))
	}
	return nil
}

// parseInts reads a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive integers", s)
		}
		out = append(out, v)
	}
	return out, nil
}
