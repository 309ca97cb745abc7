package vae

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainFeaturesRefusals: a data set that cannot be read names the
// flag that gave it; a backend that cannot be opened names --backend.
func TestTrainFeaturesRefusals(t *testing.T) {
	out := filepath.Join(t.TempDir(), "f.safetensors")
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := TrainFeatures("--data", missing, out, "", io.Discard); err == nil || !strings.HasPrefix(err.Error(), "--data "+missing+": ") {
		t.Errorf("TrainFeatures of a missing folder: %v", err)
	}
	run := tinyRun(t)
	data := filepath.Join(filepath.Dir(run), "data")
	if _, err := TrainFeatures("--data", data, out, "no-such-backend", io.Discard); err == nil || !strings.HasPrefix(err.Error(), "--backend") {
		t.Errorf("TrainFeatures on an unknown backend: %v", err)
	}
}
