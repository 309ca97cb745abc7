package export

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/checkpoints"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

// entry is one tensor's record in a safetensors header.
type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// header is a parsed safetensors header.
type header struct {
	meta    map[string]string
	entries map[string]entry
	data    []byte
}

// readSafetensors parses a safetensors file, checking its layout: an
// 8-aligned header, tensors packed back to back covering the data exactly.
func readSafetensors(t *testing.T, path string) header {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw[:8])
	if n%8 != 0 || 8+n > uint64(len(raw)) {
		t.Fatalf("header length %d: not 8-aligned or past the file's %d bytes", n, len(raw))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &fields); err != nil {
		t.Fatalf("header: %v", err)
	}
	h := header{entries: map[string]entry{}, data: raw[8+n:]}
	var spans [][2]int64
	for k, v := range fields {
		var err error
		if k == "__metadata__" {
			err = json.Unmarshal(v, &h.meta)
		} else {
			var e entry
			err = json.Unmarshal(v, &e)
			h.entries[k] = e
			spans = append(spans, e.Offsets)
		}
		if err != nil {
			t.Fatalf("header field %s: %v", k, err)
		}
	}
	slices.SortFunc(spans, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	var end int64
	for _, s := range spans {
		if s[0] != end {
			t.Fatalf("tensor data %v does not start where the previous ends (%d)", s, end)
		}
		end = s[1]
	}
	if end != int64(len(h.data)) {
		t.Fatalf("tensors cover %d bytes of %d", end, len(h.data))
	}
	return h
}

// makeRun writes a run folder whose checkpoint holds weights and training state.
func makeRun(t *testing.T, model models.Config) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.New()
	add := func(scope, name string, trainable bool, dims ...int) {
		n := 1
		for _, d := range dims {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32(len(scope)+i) / 7
		}
		ctx.InAbsPath(scope).Checked(false).VariableWithValue(name, tensors.FromFlatDataAndDimensions(vals, dims...)).SetTrainable(trainable)
	}
	add("/encoder/conv0/conv", "weights", true, 3, 3, 1, 4)
	add("/decoder/project/conv", "weights", true, 1, 1, 2, 16)
	add("/decoder/project/conv", "biases", true, 16)
	add("/optimizers/adam/decoder/project/conv", "weights_1st_moment", false, 1, 1, 2, 16)
	add("/encoder", "frozen", false, 2)
	ctx.InAbsPath("/").Checked(false).VariableWithValue("global_step", tensors.FromValue(int64(7))).SetTrainable(false)
	cfg := rundir.DefaultConfig()
	cfg.Model = model
	if err := rundir.WriteConfig(dir, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoints.Save(dir, 7, cfg, ctx, 0); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRun(t *testing.T) {
	model := models.DefaultConfig()
	model.Height, model.Width, model.Latent, model.Widths = 8, 8, 2, []int{4}
	dir := makeRun(t, model)
	out := filepath.Join(t.TempDir(), "model.safetensors")
	sum, err := Run(dir, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := readSafetensors(t, out)
	want := map[string][]int{"encoder/conv0/conv/weights": {3, 3, 1, 4},
		"decoder/project/conv/weights": {1, 1, 2, 16}, "decoder/project/conv/biases": {16}}
	if len(h.entries) != len(want) || sum.Tensors != len(want) || sum.Step != 7 || sum.Params != 36+32+16 {
		t.Errorf("exported %v (summary %+v), want only the three weights of step 7", h.entries, sum)
	}
	for name, dims := range want {
		e, ok := h.entries[name]
		if !ok || e.DType != "F32" || !slices.Equal(e.Shape, dims) {
			t.Errorf("tensor %s: %+v, want F32 %v", name, e, dims)
			continue
		}
		first := math.Float32frombits(binary.LittleEndian.Uint32(h.data[e.Offsets[0]:]))
		scope := "/" + name[:strings.LastIndex(name, "/")]
		if w := float32(len(scope)) / 7; first != w {
			t.Errorf("tensor %s starts with %v, want %v", name, first, w)
		}
	}
	var got models.Config
	if err := json.Unmarshal([]byte(h.meta["model"]), &got); err != nil || got.Latent != 2 || got.Height != 8 {
		t.Errorf("metadata model %q (%v), want the run's model", h.meta["model"], err)
	}
	if h.meta["step"] != "7" || h.meta["latent_version"] == "" {
		t.Errorf("metadata %v, want step 7 and latent's version", h.meta)
	}
	if info, _ := os.Stat(out); info.Size() != sum.Bytes {
		t.Errorf("file has %d bytes, summary says %d", info.Size(), sum.Bytes)
	}
}

func TestRunErrors(t *testing.T) {
	model := models.DefaultConfig()
	good := makeRun(t, model)
	noCkpt := t.TempDir()
	writeConfig := func(dir string, m models.Config) {
		cfg := rundir.DefaultConfig()
		cfg.Model = m
		if err := rundir.WriteConfig(dir, cfg); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(noCkpt, model)
	noModel := t.TempDir()
	writeConfig(noModel, models.Config{})
	badModel := t.TempDir()
	model.Kernel = 2
	writeConfig(badModel, model)
	outDir := t.TempDir()
	tests := []struct {
		name, dir, out, want string
	}{
		{"not a run", t.TempDir(), "m.safetensors", "config.json is missing"},
		{"no checkpoint", noCkpt, "m.safetensors", "no checkpoint"},
		{"no model", noModel, "m.safetensors", "image shape 0x0x0"},
		{"invalid model", badModel, "m.safetensors", "kernel size 2"},
		{"output folder missing", good, "missing/m.safetensors", "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(tc.dir, filepath.Join(outDir, tc.out), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run error = %v, want %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(outDir); len(entries) != 0 {
				t.Errorf("a failed export left %d files", len(entries))
			}
		})
	}
}
