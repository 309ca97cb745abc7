// Package export writes a trained run's weights in the safetensors format
// (https://github.com/huggingface/safetensors), for use outside latent: an
// 8-byte little-endian header length, a JSON header giving each tensor's
// dtype, shape and byte range, then the tensors' little-endian data.
//
// Only the model's weights are written (the moving averages of a run
// trained with them): the trainable variables under the encoder, decoder
// and topdown scopes, not the optimizer's moments, the step or the
// RNG state. A tensor's name is its variable's scope and name without the
// leading slash, such as "decoder/conv0/conv/weights". The header's
// __metadata__ holds the model configuration as JSON under "model", the
// checkpoint's step under "step" and latent's version under "latent_version".
package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/rundir"
)

// modulePath is latent's module, whose version goes into the metadata.
const modulePath = "github.com/latent-vae/latent"

// Tensor is one named tensor of a safetensors file.
type Tensor struct {
	Name  string
	Value *tensors.Tensor
}

// Summary describes a written export.
type Summary struct {
	Step    int64 // the checkpoint's step
	Tensors int   // tensors written
	Params  int   // values in them
	Bytes   int64 // size of the file
}

// Run writes the weights of the latest checkpoint in runDir, with its model
// configuration, to path as a safetensors file, atomically.
func Run(runDir, path string) (Summary, error) {
	run, err := rundir.Load(runDir)
	if err != nil {
		return Summary{}, err
	}
	model, err := json.Marshal(run.Config.Model)
	if err != nil {
		return Summary{}, err
	}
	ts, err := Weights(run.Ctx)
	if err != nil {
		return Summary{}, err
	}
	if len(ts) == 0 {
		return Summary{}, fmt.Errorf("run %s holds no encoder or decoder weights", runDir)
	}
	meta := map[string]string{"model": string(model), "step": strconv.FormatInt(run.Step, 10), "latent_version": Version()}
	n, err := WriteSafetensors(path, ts, meta)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Step: run.Step, Tensors: len(ts), Bytes: n}
	for _, t := range ts {
		s.Params += t.Value.Shape().Size()
	}
	return s, nil
}

// Weights returns the model's weights in ctx, a loaded run's variables (its
// moving averages when the run keeps them, see rundir.Load): the trainable
// variables under the encoder, decoder and (ladder) topdown scopes, named
// scope/name without the leading slash, sorted by name.
func Weights(ctx *context.Context) ([]Tensor, error) {
	var out []Tensor
	for v := range ctx.IterVariables() {
		scope := strings.TrimPrefix(v.Scope(), "/")
		top, _, _ := strings.Cut(scope, "/")
		if !v.Trainable || (top != "encoder" && top != "decoder" && top != "topdown") {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		out = append(out, Tensor{Name: scope + "/" + v.Name(), Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Version is latent's module version as built into the running binary, or
// "(devel)" for a build from a work tree.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if info.Main.Path == modulePath {
		return info.Main.Version
	}
	for _, m := range info.Deps {
		if m.Path == modulePath {
			return m.Version
		}
	}
	return "(unknown)"
}

// dtypeNames are the safetensors names of the dtypes latent can export.
var dtypeNames = map[dtypes.DType]string{
	dtypes.Float64: "F64", dtypes.Float32: "F32", dtypes.Float16: "F16", dtypes.BFloat16: "BF16",
	dtypes.Int64: "I64", dtypes.Int32: "I32", dtypes.Int16: "I16", dtypes.Int8: "I8",
	dtypes.Uint64: "U64", dtypes.Uint32: "U32", dtypes.Uint16: "U16", dtypes.Uint8: "U8", dtypes.Bool: "BOOL",
}

type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes ts, in the order given, and metadata to path in
// the safetensors format, atomically, and returns the file's size.
func WriteSafetensors(path string, ts []Tensor, metadata map[string]string) (int64, error) {
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
