package checkpoints

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
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

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig{Latent: 16, Name: "x"}
	if _, err := Save(dir, 7, cfg, newContext(1), 3); err != nil {
		t.Fatal(err)
	}
	ck, skipped, err := Latest(dir)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("Latest: %v (skipped %v)", err, skipped)
	}
	if ck.Step != 7 || !strings.Contains(string(ck.Config), `"latent":16`) {
		t.Errorf("step %d, config %s", ck.Step, ck.Config)
	}
	restored := context.New()
	if err := ck.Restore(restored); err != nil {
		t.Fatal(err)
	}
	w := restored.GetVariableByScopeAndName("/encoder", "weights")
	step := restored.GetVariableByScopeAndName("/", "global_step")
	if w == nil || step == nil {
		t.Fatalf("restored variables missing: weights %v, step %v", w, step)
	}
	if got := tensors.MustCopyFlatData[float32](w.MustValue()); len(got) != 4 || got[3] != 4 {
		t.Errorf("weights restored as %v", got)
	}
	if !w.Trainable || step.Trainable {
		t.Errorf("trainable flags not restored: weights %v, step %v", w.Trainable, step.Trainable)
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
