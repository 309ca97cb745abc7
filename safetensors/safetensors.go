// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header giving each tensor's dtype, shape and byte
// range (and an optional __metadata__ map of strings), then the tensors'
// little-endian data. It is latent's one codec of the format, used by
// export (a run's weights) and features (the feature networks).
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// Tensor is one named tensor of a safetensors file.
type Tensor struct {
	Name  string
	Value *tensors.Tensor
}

// dtypeNames are the safetensors names of the dtypes latent can write.
var dtypeNames = map[dtypes.DType]string{
	dtypes.Float64: "F64", dtypes.Float32: "F32", dtypes.Float16: "F16", dtypes.BFloat16: "BF16",
	dtypes.Int64: "I64", dtypes.Int32: "I32", dtypes.Int16: "I16", dtypes.Int8: "I8",
	dtypes.Uint64: "U64", dtypes.Uint32: "U32", dtypes.Uint16: "U16", dtypes.Uint8: "U8", dtypes.Bool: "BOOL",
}

// entry is one tensor's record in the header.
type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// Write writes ts, in the order given, and metadata to path in the
// safetensors format, atomically, and returns the file's size.
func Write(path string, ts []Tensor, metadata map[string]string) (int64, error) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return 0, errors.New("safetensors export needs a little-endian machine")
	}
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	data := make([][]byte, len(ts))
	var offset int64
	for i, t := range ts {
		sh := t.Value.Shape()
		name, ok := dtypeNames[sh.DType]
		if _, dup := header[t.Name]; !ok || dup || t.Name == "" || t.Name == "__metadata__" {
			return 0, fmt.Errorf("tensor %q (%s): an empty, duplicate or reserved name, or a dtype safetensors lacks", t.Name, sh)
		}
		if err := t.Value.ConstBytes(func(b []byte) { data[i] = bytes.Clone(b) }); err != nil {
			return 0, fmt.Errorf("reading tensor %s: %w", t.Name, err)
		}
		end := offset + int64(len(data[i]))
		header[t.Name] = entry{DType: name, Shape: append([]int{}, sh.Dimensions...), Offsets: [2]int64{offset, end}}
		offset = end
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return 0, fmt.Errorf("encoding the safetensors header: %w", err)
	}
	if pad := len(hj) % 8; pad != 0 { // align the data to 8 bytes, as the reference writer does
		hj = append(hj, bytes.Repeat([]byte{' '}, 8-pad)...)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		if err := binary.Write(w, binary.LittleEndian, uint64(len(hj))); err != nil {
			return err
		}
		for _, b := range append([][]byte{hj}, data...) {
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	return 8 + int64(len(hj)) + offset, err
}
