package checkpoints

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

type testConfig struct {
	Latent int    `json:"latent"`
	Name   string `json:"name"`
}

func newContext(scale float32) *context.Context {
	ctx := context.New()
	ctx.In("encoder").VariableWithValue("weights", [][]float32{{1 * scale, 2}, {3, 4 * scale}})
	ctx.In("decoder").VariableWithValue("bias", []float32{5, 6, 7})
	ctx.VariableWithValue("global_step", int64(42)).SetTrainable(false)
	return ctx
}

// TestSaveLoadRoundTrip: every variable (scope, name, dtype, shape, every
// value, trainable flag) and every config field read back as saved,
// compared by reflection.
func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig{Latent: 16, Name: "x"}
	saved := newContext(1)
	saved.In("decoder").In("deep").VariableWithValue("mask", [][][]int32{{{1, -2}}, {{3, 4}}}).SetTrainable(false)
	if _, err := Save(dir, 7, cfg, saved, 3); err != nil {
		t.Fatal(err)
	}
	ck, skipped, err := Latest(dir)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("Latest: %v (skipped %v)", err, skipped)
	}
	var gotCfg testConfig
	if err := json.Unmarshal(ck.Config, &gotCfg); err != nil || ck.Step != 7 || !reflect.DeepEqual(gotCfg, cfg) {
		t.Errorf("step %d, config %+v (%v); want 7, %+v", ck.Step, gotCfg, err, cfg)
	}
	restored := context.New()
	if err := ck.Restore(restored); err != nil {
		t.Fatal(err)
	}
	n := 0
	for want := range saved.IterVariables() {
		n++
		got := restored.GetVariableByScopeAndName(want.Scope(), want.Name())
		if got == nil {
			t.Errorf("variable %s not restored", want.ScopeAndName())
			continue
		}
		w, g := want.MustValue(), got.MustValue()
		if g.DType() != w.DType() || !reflect.DeepEqual(g.Shape().Dimensions, w.Shape().Dimensions) ||
			!reflect.DeepEqual(g.Value(), w.Value()) || got.Trainable != want.Trainable {
			t.Errorf("variable %s restored as %s %v (trainable %v), saved %s %v (trainable %v)",
				want.ScopeAndName(), g.Shape(), g.Value(), got.Trainable, w.Shape(), w.Value(), want.Trainable)
		}
	}
	m := 0
	for range restored.IterVariables() {
		m++
	}
	if n != 4 || m != n {
		t.Errorf("%d variables saved, %d restored; want 4", n, m)
	}
}

func TestKeepAndDamage(t *testing.T) {
	dir := t.TempDir()
	for step := int64(1); step <= 5; step++ {
		if _, err := Save(dir, step, testConfig{}, newContext(float32(step)), 3); err != nil {
			t.Fatal(err)
		}
	}
	files, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 || filepath.Base(files[0]) != Name(3) || filepath.Base(files[2]) != Name(5) {
		t.Fatalf("kept %v, want the checkpoints of steps 3, 4 and 5", files)
	}
	damage := []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-10] }},
		{"empty", func(b []byte) []byte { return nil }},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			newest := files[2]
			orig, _ := os.ReadFile(newest)
			if err := os.WriteFile(newest, d.edit(append([]byte(nil), orig...)), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(newest, orig, 0o644)
			if _, err := Load(newest); err == nil {
				t.Errorf("Load of a %s checkpoint succeeded", d.name)
			}
			ck, skipped, err := Latest(dir)
			if err != nil || ck.Step != 4 || len(skipped) != 1 || !strings.Contains(skipped[0], newest) {
				t.Errorf("Latest with a %s newest file: step %v, skipped %v, err %v; want step 4 and the file reported", d.name, ck, skipped, err)
			}
		})
	}
}

func TestLatestEmpty(t *testing.T) {
	if _, _, err := Latest(t.TempDir()); !errors.Is(err, ErrNone) {
		t.Errorf("Latest on an empty folder: %v, want ErrNone", err)
	}
}
