package rundir

import (
	"math"
	"strings"
	"testing"
)

// TestCheckNumbers: the defaults pass; each number the trainer cannot use
// is refused naming its flag.
func TestCheckNumbers(t *testing.T) {
	if err := DefaultConfig().CheckNumbers(); err != nil {
		t.Fatalf("the default config: %v", err)
	}
	for _, c := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.LR = 0 }, "--lr 0: want a finite learning rate above 0"},
		{func(c *Config) { c.LR = math.NaN() }, "--lr NaN"},
		{func(c *Config) { c.Model.Beta = math.Inf(1) }, "--beta +Inf"},
		{func(c *Config) { c.BatchSize = 0 }, "--batch-size 0"},
		{func(c *Config) { c.EvalBatch = -1 }, "--eval-batch -1"},
		{func(c *Config) { c.Steps = -5 }, "--steps -5: want ≥ 0"},
		{func(c *Config) { c.Keep = -1 }, "--keep -1"},
		{func(c *Config) { c.EvalEvery = -2 }, "--eval-every -2"},
	} {
		cfg := DefaultConfig()
		c.set(&cfg)
		if err := cfg.CheckNumbers(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckNumbers: %v, want %q", err, c.want)
		}
	}
}
