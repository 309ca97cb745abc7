package rundir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeConfigSplitSeed: a config that records its split seed keeps
// it; one saved before the field existed splits with its run seed, as it
// did when it was trained.
func TestDecodeConfigSplitSeed(t *testing.T) {
	tests := []struct {
		name string
		json string
		want int64
	}{
		{"recorded", `{"seed": 5, "data": {"spec": "f", "split_seed": 9}}`, 9},
		{"recorded zero", `{"seed": 5, "data": {"spec": "f", "split_seed": 0}}`, 0},
		{"older run", `{"seed": 5, "data": {"spec": "f"}}`, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := DecodeConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Data.SplitSeed != tc.want {
				t.Errorf("split seed %d, want %d", cfg.Data.SplitSeed, tc.want)
			}
		})
	}
	if _, err := DecodeConfig([]byte(`{"seed": 1, "colour": "red"}`)); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown field: error %v, want one naming it", err)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Data.Spec, cfg.Data.SkipBad, cfg.Steps = "/data/folder", true, 42
	if err := WriteConfig(dir, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := Diff(got, cfg); diff != "" {
		t.Errorf("config changed through config.json: %s", diff)
	}
	if _, err := ReadConfig(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "config.json is missing") {
		t.Errorf("reading a folder without a run: error %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConfig(dir); err == nil || !strings.Contains(err.Error(), ConfigFile) {
		t.Errorf("truncated config: error %v, want one naming the file", err)
	}
}

func TestDiff(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	if d := Diff(a.Model, b.Model); d != "" {
		t.Errorf("equal models differ: %s", d)
	}
	b.Model.Latent, b.Model.Kernel = 7, 5
	if d := Diff(a.Model, b.Model); d != "kernel: 3 vs 5; latent: 16 vs 7" {
		t.Errorf("Diff = %q", d)
	}
}

func TestDataConfigAbsolute(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ spec, dir, wantSpec, wantDir string }{
		{"mnist", "", "mnist", ""},
		{"mnist", "data/mnist", "mnist", filepath.Join(wd, "data/mnist")},
		{"images/cats", "", filepath.Join(wd, "images/cats"), ""},
		{"/abs/folder", "", "/abs/folder", ""},
	}
	for _, tc := range tests {
		d, err := DataConfig{Spec: tc.spec, Dir: tc.dir}.Absolute()
		if err != nil || d.Spec != tc.wantSpec || d.Dir != tc.wantDir {
			t.Errorf("Absolute(%q, %q) = %q, %q, %v; want %q, %q", tc.spec, tc.dir, d.Spec, d.Dir, err, tc.wantSpec, tc.wantDir)
		}
	}
}

func TestIsOwnFile(t *testing.T) {
	run, other := t.TempDir(), t.TempDir()
	if err := WriteConfig(run, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{filepath.Join(run, ConfigFile), true},
		{filepath.Join(run, MetricsFile), true},
		{filepath.Join(run, "ckpt-0000000500.latent"), true},
		{filepath.Join(run, ".lock"), true},
		{filepath.Join(run, "samples.png"), false},
		{filepath.Join(other, ConfigFile), false}, // not a run folder
		{filepath.Join(other, "metrics.csv"), false},
	}
	for _, tc := range tests {
		if got := IsOwnFile(tc.path); got != tc.want {
			t.Errorf("IsOwnFile(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
