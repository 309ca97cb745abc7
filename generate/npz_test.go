package generate

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/testenv"
)

// npzTestArrays are one array of every dtype the writer makes, with values
// that a byte-order or width mix-up would change.
func npzTestArrays() []Array {
	return []Array{
		Float32Array("mean", []float32{1.5, -2.25, float32(math.Pi), 1e-30, -0, 7}, 2, 3),
		Int32Array("indices", []int32{0, 1, -7, 1 << 20}, 1, 2, 2),
		Int64Array("labels", []int{3, -1, 1 << 40}, 3),
		StringArray("factor_names", []string{"shape", "x", "échelle"}),
	}
}

// TestEncodeNPZ: a zip of NAME.npy entries in the order given, stored
// uncompressed, each a whole .npy file naming its dtype and shape; the
// same arrays give the same bytes; a repeated name and data that do not
// fill the shape are refused.
func TestEncodeNPZ(t *testing.T) {
	arrays := npzTestArrays()
	var a, b bytes.Buffer
	if err := EncodeNPZ(&a, arrays...); err != nil {
		t.Fatal(err)
	}
	if err := EncodeNPZ(&b, arrays...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same arrays gave different bytes")
	}
	zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(arrays) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(arrays))
	}
	for i, f := range zr.File {
		want := arrays[i]
		if f.Name != want.Name+".npy" || f.Method != zip.Store {
			t.Errorf("entry %d: %s (method %d), want %s.npy stored", i, f.Name, f.Method, want.Name)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		var npy bytes.Buffer
		if err := EncodeArray(&npy, want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, npy.Bytes()) {
			t.Errorf("entry %s is not the array's .npy file", f.Name)
		}
		hl := int(binary.LittleEndian.Uint16(got[8:10]))
		if h := string(got[10 : 10+hl]); !strings.Contains(h, "'descr': '"+want.Descr+"'") || (10+hl)%64 != 0 {
			t.Errorf("entry %s: header %q, want descr %s and the data at a multiple of 64", f.Name, h, want.Descr)
		}
	}
	if got := arrays[3].Descr; got != "<U7" {
		t.Errorf("string array dtype %s, want <U7 (échelle: 7 characters, not 8 bytes)", got)
	}
	for _, bad := range [][]Array{
		{arrays[0], arrays[0]},
		{{Name: "x", Descr: "<f4", Shape: []int{2, 2}, Data: make([]byte, 12)}},
		{{Name: "", Descr: "<f4", Shape: []int{1}, Data: make([]byte, 4)}},
	} {
		if err := EncodeNPZ(io.Discard, bad...); err == nil {
			t.Errorf("%d arrays named %q: no error", len(bad), bad[0].Name)
		}
	}
}

// TestNPZNumpyLoads: numpy.load, without allow_pickle, reads WriteNPZ's
// file as a mapping of every array with its dtype, shape and values, and
// EncodeArray's .npy as the array; skipped without numpy ($LATENT_PYTHON).
func TestNPZNumpyLoads(t *testing.T) {
	python := testenv.PythonNumpy(t)
	dir := t.TempDir()
	npz, npy := filepath.Join(dir, "a.npz"), filepath.Join(dir, "a.npy")
	arrays := npzTestArrays()
	if err := WriteNPZ(npz, arrays...); err != nil {
		t.Fatal(err)
	}
	var one bytes.Buffer
	if err := EncodeArray(&one, arrays[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(npy, one.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys, numpy as np
z = np.load(sys.argv[1], allow_pickle=False)
out = {k: {"dtype": z[k].dtype.str, "shape": list(z[k].shape), "values": z[k].ravel().tolist()} for k in z.files}
out["order"] = z.files
a = np.load(sys.argv[2], allow_pickle=False)
out["npy"] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.ravel().tolist()}
print(json.dumps(out))
`
	type loaded struct {
		Dtype  string
		Shape  []int
		Values []any
	}
	var got map[string]json.RawMessage
	testenv.PythonJSON(t, &got, python, nil, "-c", script, npz, npy)
	var order []string
	_ = json.Unmarshal(got["order"], &order)
	if strings.Join(order, ",") != "mean,indices,labels,factor_names" {
		t.Errorf("numpy lists %v, want mean, indices, labels, factor_names", order)
	}
	want := map[string]loaded{
		"mean":         {"<f4", []int{2, 3}, []any{1.5, -2.25, float64(float32(math.Pi)), float64(float32(1e-30)), 0.0, 7.0}},
		"indices":      {"<i4", []int{1, 2, 2}, []any{0.0, 1.0, -7.0, float64(1 << 20)}},
		"labels":       {"<i8", []int{3}, []any{3.0, -1.0, float64(int64(1) << 40)}},
		"factor_names": {"<U7", []int{3}, []any{"shape", "x", "échelle"}},
		"npy":          {"<f4", []int{2, 3}, []any{1.5, -2.25, float64(float32(math.Pi)), float64(float32(1e-30)), 0.0, 7.0}},
	}
	for name, w := range want {
		var l loaded
		if err := json.Unmarshal(got[name], &l); err != nil {
			t.Errorf("%s: %v in %s", name, err, got[name])
			continue
		}
		if l.Dtype != w.Dtype || !slices.Equal(l.Shape, w.Shape) || len(l.Values) != len(w.Values) {
			t.Errorf("%s: numpy reads %s %v (%d values), want %s %v", name, l.Dtype, l.Shape, len(l.Values), w.Dtype, w.Shape)
			continue
		}
		for i := range w.Values {
			if l.Values[i] != w.Values[i] {
				t.Errorf("%s[%d] = %v in numpy, want %v", name, i, l.Values[i], w.Values[i])
			}
		}
	}
}
