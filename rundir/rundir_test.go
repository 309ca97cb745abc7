package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/data"
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

// TestConfigRoundTrip: a config with every field set, each to its own
// value, reads back field for field from config.json and from a
// checkpoint, compared by reflection (not through the encoding under test).
func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	var cfg Config
	fillDistinct(t, "Config", reflect.ValueOf(&cfg).Elem(), new(int))
	if err := WriteConfig(dir, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range fieldDiffs("Config", reflect.ValueOf(cfg), reflect.ValueOf(got)) {
		t.Errorf("config.json: %s", d)
	}
	if _, err := checkpoints.Save(dir, 3, cfg, context.New(), 1); err != nil {
		t.Fatal(err)
	}
	ck, _, err := checkpoints.Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	fromCk, err := DecodeConfig(ck.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range fieldDiffs("Config", reflect.ValueOf(cfg), reflect.ValueOf(fromCk)) {
		t.Errorf("checkpoint: %s", d)
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

// fillDistinct sets every field under v (named path) to a value no other
// field has: numbers from *n on, strings naming their number, booleans
// true, slices of two such values. A field it cannot set, unexported or of
// a kind it does not know, fails the test, so a new field is never left
// out of the round trip.
func fillDistinct(t *testing.T, path string, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("%s.%s is unexported: a config field must be saved", path, f.Name)
			}
			fillDistinct(t, path+"."+f.Name, v.Field(i), n)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.String:
		v.SetString(fmt.Sprintf("value %d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillDistinct(t, fmt.Sprintf("%s[%d]", path, i), v.Index(i), n)
		}
	default:
		t.Fatalf("%s: fillDistinct does not know the kind %s", path, v.Kind())
	}
}

// fieldDiffs lists the fields under want and got (named path) whose
// values differ, one "path: want vs got" each.
func fieldDiffs(path string, want, got reflect.Value) []string {
	switch want.Kind() {
	case reflect.Struct:
		var out []string
		for i := range want.NumField() {
			out = append(out, fieldDiffs(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i))...)
		}
		return out
	case reflect.Slice:
		if want.Len() != got.Len() {
			return []string{fmt.Sprintf("%s: %d values, saved %d", path, got.Len(), want.Len())}
		}
		var out []string
		for i := range want.Len() {
			out = append(out, fieldDiffs(fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i))...)
		}
		return out
	}
	if !reflect.DeepEqual(want.Interface(), got.Interface()) {
		return []string{fmt.Sprintf("%s: saved %v, read back %v", path, want.Interface(), got.Interface())}
	}
	return nil
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

// TestDataConfigRecorded: what a new run records of its split. A set split
// by settings of its own (sprites) records those, whatever the flags said;
// MNIST (whose IDX files hold the split), a folder and shapes keep the
// flags' values, so their config.json is what it was.
func TestDataConfigRecorded(t *testing.T) {
	def := DefaultDataConfig()
	tests := []struct {
		name         string
		in           DataConfig
		wantFraction float64
		wantSeed     int64
	}{
		{"mnist, defaults", def, 0.1, 1},
		{"mnist, flags given", DataConfig{Spec: "mnist", TestFraction: 0.3, SplitSeed: 7}, 0.3, 7},
		{"folder", DataConfig{Spec: "/images/cats", TestFraction: 0.25, SplitSeed: 0}, 0.25, 0},
		{"shapes", DataConfig{Spec: data.Shapes, TestFraction: 0.2, SplitSeed: 3}, 0.2, 3},
		{"sprites, defaults", DataConfig{Spec: data.Sprites, TestFraction: def.TestFraction, SplitSeed: def.SplitSeed},
			data.SpritesTestFraction, data.SpritesSplitSeed},
		{"sprites, flags given", DataConfig{Spec: data.Sprites, TestFraction: 0.3, SplitSeed: 7},
			data.SpritesTestFraction, data.SpritesSplitSeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.Recorded()
			if got.TestFraction != tc.wantFraction || got.SplitSeed != tc.wantSeed {
				t.Errorf("records test_fraction %v, split_seed %d; want %v, %d", got.TestFraction, got.SplitSeed, tc.wantFraction, tc.wantSeed)
			}
			rest, want := got, tc.in
			rest.TestFraction, rest.SplitSeed, want.TestFraction, want.SplitSeed = 0, 0, 0, 0
			if rest != want {
				t.Errorf("changed more than the split: %+v, from %+v", got, tc.in)
			}
		})
	}
	raw, err := json.Marshal(DataConfig{Spec: data.Sprites, TestFraction: 0.3, SplitSeed: 7}.Recorded())
	if want := `"test_fraction":0.01,"split_seed":1`; err != nil || !strings.Contains(string(raw), want) {
		t.Errorf("a sprites run's config.json holds %s (%v), want %s", raw, err, want)
	}
}

// TestLoadDataAsOtherSplit: another set loaded with the settings of a run
// on a set split by its own (sprites) is split by the defaults, not by the
// sprites' 1 %: those settings are the sprites' alone.
func TestLoadDataAsOtherSplit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Data = DataConfig{Spec: data.Sprites}.Recorded()
	set, _ := cfg.LoadDataAs(data.Shapes, "") // the shape check fails: the model is the sprites'
	if set == nil {
		t.Fatal("shapes did not load")
	}
	if total, want := set.Train.N+set.Test.N, 300; set.Test.N != want {
		t.Errorf("shapes with a sprites run's settings: %d of %d images held out, want %d (the default 0.1)", set.Test.N, total, want)
	}
}

// TestPixelsAsTrained: a run's splits as it learned from them: grey as
// they are, or for a --binarize run binarized, the training split with the
// run's seed and the test split with TestBinarizeSeed.
func TestPixelsAsTrained(t *testing.T) {
	split := &data.Split{N: 4, Height: 4, Width: 4, Channels: 1, Pixels: make([]uint8, 64)}
	for i := range split.Pixels {
		split.Pixels[i] = uint8(i * 4)
	}
	cfg := DefaultConfig()
	cfg.Seed = 7
	if !slices.Equal(cfg.TrainPixels(split), split.Images()) || !slices.Equal(cfg.TestPixels(split), split.Images()) {
		t.Errorf("a grey run's pixels are not the split's own")
	}
	cfg.Data.Binarize = true
	for _, tc := range []struct {
		name string
		got  []float32
		seed int64
	}{
		{"training", cfg.TrainPixels(split), 7},
		{"test", cfg.TestPixels(split), TestBinarizeSeed},
	} {
		if want := data.Binarize(split.Images(), tc.seed); !slices.Equal(tc.got, want) {
			t.Errorf("a binarized run's %s pixels: %v, want the split binarized with seed %d, %v", tc.name, tc.got, tc.seed, want)
		}
	}
	if slices.Equal(cfg.TrainPixels(split), cfg.TestPixels(split)) {
		t.Errorf("the training and test splits are binarized alike: the seeds are not apart")
	}
}
