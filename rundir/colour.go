package rundir

import (
	"fmt"

	"github.com/latent-vae/latent/models"
)

// A setting a new run on colour images takes when its caller chose none.
type colourDefault struct {
	flag  string // latent train's flag
	value string // the value, as the flag takes it
	set   func(*Config)
}

// colourDefaults are what measured best on the shapes set (3,000 RGB
// 32×32 images, `--data shapes`) for the same training images seen on two
// CPU cores: the discretised logistic, whose bits per dimension are those
// of 8-bit images (the Gaussian's density is not) and whose
// reconstructions were as good as the Gaussian's; batches of 32, which
// reached a test −ELBO as low as batches of 128 on half the images, at
// about the same images per second. docs/numbers.md has the measurements.
func colourDefaults() []colourDefault {
	return []colourDefault{
		{"likelihood", models.DiscreteLogistic, func(c *Config) { c.Model.Likelihood = models.DiscreteLogistic }},
		{"batch-size", "32", func(c *Config) { c.BatchSize = 32 }},
	}
}

// ColourDefaults sets each setting of a new run on colour images that
// given does not name (by latent train's flag names, e.g. "likelihood") to
// the default for colour, and returns those it set as flags
// ("--likelihood logistic"). cfg's image shape must already come from the
// data; a run on grey images is left as it is, with DefaultConfig's
// settings (those of MNIST). A nil given names every setting: nothing is
// set.
func ColourDefaults(cfg *Config, given map[string]bool) []string {
	if cfg.Model.Channels != 3 || given == nil {
		return nil
	}
	var set []string
	for _, d := range colourDefaults() {
		if given[d.flag] {
			continue
		}
		d.set(cfg)
		set = append(set, fmt.Sprintf("--%s %s", d.flag, d.value))
	}
	return set
}

// ColourDefault is the value a new run on colour images takes for latent
// train's flag when none is given ("logistic" for "likelihood"), or "" for
// a flag without a colour default.
func ColourDefault(flag string) string {
	for _, d := range colourDefaults() {
		if d.flag == flag {
			return d.value
		}
	}
	return ""
}
