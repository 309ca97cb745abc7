// Package checkpoints saves and restores a run's checkpoints, each one file
// holding every context variable (weights, optimizer state, global step, RNG
// state) with the run's config and step.
//
// Every file is written to a temporary file, synced and renamed, and each
// checkpoint ends with a SHA-256 of its contents: a crash at any moment leaves
// the previous checkpoint intact, and a damaged file is detected and skipped.
//
// # File layout
//
// A checkpoint file, named ckpt-<step, 10 digits>.latent, is, in order:
//
//	offset  size  field
//	0       8     magic: the ASCII bytes "LATENTCK"
//	8       4     format version: uint32, little-endian; currently 1
//	12      8     header length H: uint64, little-endian
//	20      H     header: a JSON object, see below
//	20+H    D     tensor data: each variable's bytes in header order, D the sum of their lengths
//	20+H+D  32    trailer: SHA-256 of every byte before it
//
// The header (type fileHeader) has the fields
//
//	"step"    the global step at which the checkpoint was taken, >= 0
//	"config"  the run's configuration (any JSON value), as in config.json
//	"vars"    one entry (type varEntry) per variable, at most 65536, each with
//	  "scope", "name"  the variable's scope and name, unique together
//	  "dtype"          a GoMLX dtype name, e.g. "Float32", "Int64"
//	  "dims"           its dimensions, each >= 0, at most 64 of them
//	  "length"         its byte count: product(dims) × the dtype's size
//	  "trainable"      false for state such as the RNG, step and optimizer moments
//
// Tensor data is the flat row-major element array as GoMLX holds it in
// memory (little-endian on every platform latent runs on). A reader checks the
// trailer first, then every header field against the file, so a damaged or
// crafted file is an error naming the file and the problem, never a panic or
// an allocation larger than the file.
package checkpoints

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/atomicfile"
)

const (
	magic   = "LATENTCK"
	version = 1
	prefix  = "ckpt-"
	suffix  = ".latent"

	preambleSize = 20      // magic, version and header length
	maxVars      = 1 << 16 // more variables than any model latent builds
	maxRank      = 64
)

// ErrNone is returned by Latest when a folder holds no checkpoint file.
// A folder whose checkpoint files all fail to load gives an
// *UnreadableError instead, which does not match ErrNone.
var ErrNone = errors.New("no checkpoint")

// UnreadableError is returned by Latest when a folder holds checkpoint files
// but none of them loads. Treating it like ErrNone would silently restart a
// run from step 0.
type UnreadableError struct {
	Dir string
	// Rejected holds one error per file, newest first; each names its file
	// and why it was rejected.
	Rejected []error
}

func (e *UnreadableError) Error() string {
	msgs := make([]string, len(e.Rejected))
	for i, err := range e.Rejected {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("none of the %d checkpoint files in %s loads: %s", len(e.Rejected), e.Dir, strings.Join(msgs, "; "))
}

// Unwrap returns the per-file errors.
func (e *UnreadableError) Unwrap() []error { return e.Rejected }

// Var is one saved context variable.
type Var struct {
	Scope     string
	Name      string
	Trainable bool
	Value     *tensors.Tensor
}

// Checkpoint is a loaded checkpoint.
type Checkpoint struct {
	Path   string
	Step   int64
	Config json.RawMessage // the run's configuration when it was saved
	Vars   []Var
}

// fileHeader is the JSON header of a checkpoint file (see the package doc).
type fileHeader struct {
	Step   int64           `json:"step"`
	Config json.RawMessage `json:"config"`
	Vars   []varEntry      `json:"vars"`
}

// varEntry describes one variable of a checkpoint and its bytes in the
// tensor data section.
type varEntry struct {
	Scope  string `json:"scope"`
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Dims   []int  `json:"dims"`
	Length int    `json:"length"`
	// Trainable is false for state such as the RNG, the step and optimizer moments.
	Trainable bool `json:"trainable"`
}

// Save writes every variable of ctx, with cfg and step, as a new checkpoint
// in dir, then removes all but the newest keep checkpoints (keep <= 0 keeps
// all). It returns the checkpoint's path.
func Save(dir string, step int64, cfg any, ctx *context.Context, keep int) (string, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("encoding config: %w", err)
	}
	h := fileHeader{Step: step, Config: cfgJSON}
	var payload [][]byte
	for v := range ctx.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return "", fmt.Errorf("reading variable %s: %w", v.ScopeAndName(), err)
		}
		var raw []byte
		if err := t.ConstBytes(func(b []byte) { raw = bytes.Clone(b) }); err != nil {
			return "", fmt.Errorf("reading variable %s: %w", v.ScopeAndName(), err)
		}
		sh := t.Shape()
		h.Vars = append(h.Vars, varEntry{Scope: v.Scope(), Name: v.Name(), DType: sh.DType.String(),
			Dims: sh.Dimensions, Length: len(raw), Trainable: v.Trainable})
		payload = append(payload, raw)
	}
	path := filepath.Join(dir, Name(step))
	err = atomicfile.Write(path, func(w io.Writer) error { return encode(w, h, payload) })
	if err != nil {
		return "", err
	}
	return path, prune(dir, keep)
}

func encode(w io.Writer, h fileHeader, payload [][]byte) error {
	hj, err := json.Marshal(h)
	if err != nil {
		return err
	}
	sum := sha256.New()
	mw := io.MultiWriter(w, sum)
	var pre [preambleSize]byte
	copy(pre[:8], magic)
	binary.LittleEndian.PutUint32(pre[8:12], version)
	binary.LittleEndian.PutUint64(pre[12:20], uint64(len(hj)))
	for _, b := range append([][]byte{pre[:], hj}, payload...) {
		if _, err := mw.Write(b); err != nil {
			return err
		}
	}
	_, err = w.Write(sum.Sum(nil))
	return err
}

// Name is the file name of the checkpoint of a step; names sort in step order.
func Name(step int64) string { return fmt.Sprintf("%s%010d%s", prefix, step, suffix) }

// List returns the checkpoint files in dir, oldest first.
func List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing checkpoints in %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, prefix) && strings.HasSuffix(n, suffix) && !e.IsDir() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out) // zero-padded steps sort in step order
	return out, nil
}

func prune(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	files, err := List(dir)
	if err != nil {
		return err
	}
	for len(files) > keep {
		if err := os.Remove(files[0]); err != nil {
			return fmt.Errorf("removing old checkpoint: %w", err)
		}
		files = files[1:]
	}
	return nil
}

// Latest loads the newest checkpoint in dir that reads back whole. Newer
// files that fail to load (which atomic writes should never leave) are
// reported in skipped, one message per file naming it and the problem. With
// no checkpoint file in dir the error wraps ErrNone; with files of which none
// loads it is an *UnreadableError.
func Latest(dir string) (ckpt *Checkpoint, skipped []string, err error) {
	files, err := List(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w in %s", ErrNone, dir)
	}
	var rejected []error
	for i := len(files) - 1; i >= 0; i-- {
		ckpt, err := Load(files[i])
		if err == nil {
			return ckpt, skipped, nil
		}
		rejected = append(rejected, err)
		skipped = append(skipped, err.Error())
	}
	return nil, skipped, &UnreadableError{Dir: dir, Rejected: rejected}
}

// Load reads and verifies one checkpoint file.
func Load(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint %s: %w", path, err)
	}
	ck, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	ck.Path = path
	return ck, nil
}

// decode verifies a whole checkpoint file's preamble and trailer, then parses it.
func decode(data []byte) (*Checkpoint, error) {
	if len(data) < preambleSize+sha256.Size || string(data[:8]) != magic {
		return nil, errors.New("not a latent checkpoint (bad magic or too short)")
	}
	body, want := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], want) {
		return nil, errors.New("checksum mismatch: the file is damaged")
	}
	return parseBody(body)
}

// parseBody parses a checkpoint without its trailer, trusting nothing in it.
func parseBody(body []byte) (*Checkpoint, error) {
	if len(body) < preambleSize || string(body[:8]) != magic {
		return nil, errors.New("not a latent checkpoint (bad magic or too short)")
	}
	if v := binary.LittleEndian.Uint32(body[8:12]); v != version {
		return nil, fmt.Errorf("format version %d, want %d", v, version)
	}
	hlen := binary.LittleEndian.Uint64(body[12:preambleSize])
	if hlen > uint64(len(body)-preambleSize) {
		return nil, fmt.Errorf("header length %d exceeds the file's %d bytes", hlen, len(body))
	}
	h, err := parseHeader(body[preambleSize : preambleSize+hlen])
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Step: h.Step, Config: h.Config}
	rest := body[preambleSize+hlen:]
	for i, ve := range h.Vars {
		t, err := readVar(ve, rest)
		if err != nil {
			return nil, fmt.Errorf("variable %d (%s/%s): %w", i, ve.Scope, ve.Name, err)
		}
		rest = rest[ve.Length:]
		ck.Vars = append(ck.Vars, Var{Scope: ve.Scope, Name: ve.Name, Trainable: ve.Trainable, Value: t})
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d unexpected bytes after the last variable", len(rest))
	}
	return ck, nil
}

// parseHeader decodes the JSON header and checks what needs no tensor data.
func parseHeader(raw []byte) (*fileHeader, error) {
	var h fileHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if h.Step < 0 {
		return nil, fmt.Errorf("header: negative step %d", h.Step)
	}
	if len(h.Vars) > maxVars {
		return nil, fmt.Errorf("header: %d variables, at most %d allowed", len(h.Vars), maxVars)
	}
	seen := make(map[[2]string]bool, len(h.Vars))
	for _, ve := range h.Vars {
		key := [2]string{ve.Scope, ve.Name}
		if seen[key] {
			return nil, fmt.Errorf("header: variable %s/%s appears twice", ve.Scope, ve.Name)
		}
		seen[key] = true
	}
	return &h, nil
}

// readVar checks one variable's entry against the remaining tensor data and
// copies its bytes into a new tensor.
func readVar(ve varEntry, rest []byte) (*tensors.Tensor, error) {
	dt, err := dtypes.DTypeString(ve.DType)
	if err != nil || !storable(dt) {
		return nil, fmt.Errorf("unknown dtype %q", ve.DType)
	}
	if len(ve.Dims) > maxRank {
		return nil, fmt.Errorf("rank %d exceeds %d", len(ve.Dims), maxRank)
	}
	if ve.Length < 0 || ve.Length > len(rest) {
		return nil, fmt.Errorf("length %d, but %d bytes of tensor data remain", ve.Length, len(rest))
	}
	n, err := elements(ve.Dims, len(rest)/dt.Size())
	if err != nil {
		return nil, err
	}
	if n*dt.Size() != ve.Length {
		return nil, fmt.Errorf("length %d, but dims %v of %s take %d bytes", ve.Length, ve.Dims, dt, n*dt.Size())
	}
	t := tensors.FromShape(shapes.Make(dt, ve.Dims...))
	if err := t.MutableBytes(func(b []byte) { copy(b, rest[:ve.Length]) }); err != nil {
		return nil, err
	}
	return t, nil
}

// storable reports whether a checkpoint may hold dt: it has a Go type of
// whole bytes (GoMLX panics on the others, such as InvalidDType or Int4).
func storable(dt dtypes.DType) bool {
	switch dt {
	case dtypes.Bool, dtypes.Int8, dtypes.Int16, dtypes.Int32, dtypes.Int64,
		dtypes.Uint8, dtypes.Uint16, dtypes.Uint32, dtypes.Uint64,
		dtypes.Float16, dtypes.BFloat16, dtypes.Float32, dtypes.Float64,
		dtypes.Complex64, dtypes.Complex128:
		return true
	}
	return false
}

// elements returns the product of dims, an error if a dimension is negative
// or the product exceeds limit.
func elements(dims []int, limit int) (int, error) {
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in dims %v", dims)
		}
	}
	if slices.Contains(dims, 0) {
		return 0, nil
	}
	n := 1
	for _, d := range dims {
		if d > limit/n {
			return 0, fmt.Errorf("dims %v hold more elements than the file has bytes", dims)
		}
		n *= d
	}
	return n, nil
}

// Restore creates every saved variable in ctx, or sets it where ctx holds
// it already with the same shape. Build graphs on ctx.Reuse() afterwards.
func (c *Checkpoint) Restore(ctx *context.Context) error {
	for _, v := range c.Vars {
		if existing := ctx.GetVariableByScopeAndName(v.Scope, v.Name); existing != nil {
			if !existing.Shape().Equal(v.Value.Shape()) {
				return fmt.Errorf("variable %s/%s: checkpoint has shape %s, the model has %s",
					v.Scope, v.Name, v.Value.Shape(), existing.Shape())
			}
			if err := existing.SetValue(v.Value); err != nil {
				return fmt.Errorf("setting variable %s/%s: %w", v.Scope, v.Name, err)
			}
			continue
		}
		ctx.InAbsPath(v.Scope).Checked(false).VariableWithValue(v.Name, v.Value).SetTrainable(v.Trainable)
	}
	return nil
}
