package safetensors

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestRead reads back what Write wrote, and refuses a truncated file.
func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.safetensors")
	in := []Tensor{
		{"a/w", tensors.FromFlatDataAndDimensions([]float32{1, -2, 3.5, 4, 5, 6}, 2, 3)},
		{"b", tensors.FromFlatDataAndDimensions([]int32{7, 8}, 2)},
	}
	if _, err := Write(path, in, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, meta, err := Read(raw)
	if err != nil {
		t.Fatal(err)
	}
	if meta["k"] != "v" || len(out) != 2 || out[0].Name != "a/w" || out[1].Name != "b" {
		t.Fatalf("read %v, metadata %v", out, meta)
	}
	if got := tensors.MustCopyFlatData[float32](out[0].Value); !slices.Equal(got, []float32{1, -2, 3.5, 4, 5, 6}) ||
		!slices.Equal(out[0].Value.Shape().Dimensions, []int{2, 3}) {
		t.Errorf("a/w = %v %v", got, out[0].Value.Shape())
	}
	if got := tensors.MustCopyFlatData[int32](out[1].Value); !slices.Equal(got, []int32{7, 8}) {
		t.Errorf("b = %v", got)
	}
	for _, cut := range []int{4, 20, len(raw) - 1} {
		if _, _, err := Read(raw[:cut]); err == nil {
			t.Errorf("a file cut to %d bytes read without error", cut)
		}
	}
}

// TestWriteRejects refuses names safetensors cannot hold, writing nothing.
func TestWriteRejects(t *testing.T) {
	x := tensors.FromValue([]float32{1, 2})
	tests := []struct {
		name string
		ts   []Tensor
	}{
		{"duplicate name", []Tensor{{"a", x}, {"a", x}}},
		{"reserved name", []Tensor{{"__metadata__", x}}},
		{"empty name", []Tensor{{"", x}}},
	}
	for _, tc := range tests {
		path := filepath.Join(t.TempDir(), "x.safetensors")
		if _, err := Write(path, tc.ts, nil); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s: file written", tc.name)
		}
	}
}
