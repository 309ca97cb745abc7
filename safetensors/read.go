package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Read parses a safetensors file's bytes: its tensors, sorted by
// name, and its metadata. It refuses a header that does not parse, a dtype
// this package does not write, and byte ranges that do not match their shapes or
// lie outside the data.
func Read(raw []byte) ([]Tensor, map[string]string, error) {
	if len(raw) < 8 {
		return nil, nil, fmt.Errorf("%d bytes: too short for a safetensors file", len(raw))
	}
	n := binary.LittleEndian.Uint64(raw[:8])
	if n > uint64(len(raw)-8) {
		return nil, nil, fmt.Errorf("header of %d bytes runs past the file's %d", n, len(raw))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &fields); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	data := raw[8+n:]
	var meta map[string]string
	var ts []Tensor
	for name, field := range fields {
		if name == "__metadata__" {
			if err := json.Unmarshal(field, &meta); err != nil {
				return nil, nil, fmt.Errorf("metadata: %w", err)
			}
			continue
		}
		t, err := readTensor(name, field, data)
		if err != nil {
			return nil, nil, err
		}
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, meta, nil
}

// readTensor decodes one header entry and copies its bytes from data.
func readTensor(name string, field json.RawMessage, data []byte) (Tensor, error) {
	var e entry
	if err := json.Unmarshal(field, &e); err != nil {
		return Tensor{}, fmt.Errorf("tensor %s: %w", name, err)
	}
	dt, ok := dtypeOf(e.DType)
	if !ok {
		return Tensor{}, fmt.Errorf("tensor %s: dtype %q not supported", name, e.DType)
	}
	for _, d := range e.Shape {
		if d < 0 {
			return Tensor{}, fmt.Errorf("tensor %s: shape %v", name, e.Shape)
		}
	}
	sh := shapes.Make(dt, e.Shape...)
	lo, hi := e.Offsets[0], e.Offsets[1]
	if lo < 0 || hi < lo || hi > int64(len(data)) || hi-lo != int64(sh.Memory()) {
		return Tensor{}, fmt.Errorf("tensor %s: bytes [%d, %d) do not hold a %s within the data's %d bytes", name, lo, hi, sh, len(data))
	}
	t := tensors.FromShape(sh)
	if err := t.MutableBytes(func(b []byte) { copy(b, data[lo:hi]) }); err != nil {
		return Tensor{}, fmt.Errorf("tensor %s: %w", name, err)
	}
	return Tensor{Name: name, Value: t}, nil
}

// dtypeOf returns the dtype of a safetensors dtype name.
func dtypeOf(name string) (dtypes.DType, bool) {
	for dt, n := range dtypeNames {
		if n == name {
			return dt, true
		}
	}
	return 0, false
}
