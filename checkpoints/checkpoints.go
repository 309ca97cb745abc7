// Package checkpoints saves and restores a run: its config.json and its
// checkpoints, each one file holding every context variable (weights,
// optimizer state, global step, RNG state) with the config and step.
//
// Every file is written to a temporary file, synced and renamed, and each
// checkpoint ends with a SHA-256 of its contents: a crash at any moment leaves
// the previous checkpoint intact, and a damaged file is detected and skipped.
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
	"sort"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// ConfigFile is the name of a run's configuration inside its folder.
const ConfigFile = "config.json"

const (
	magic   = "LATENTCK"
	version = 1
	prefix  = "ckpt-"
	suffix  = ".latent"
)

// ErrNone is returned by Latest when a folder holds no checkpoint.
var ErrNone = errors.New("no checkpoint")

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

type header struct {
	Step   int64           `json:"step"`
	Config json.RawMessage `json:"config"`
	Vars   []varHeader     `json:"vars"`
}

type varHeader struct {
	Scope  string `json:"scope"`
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Dims   []int  `json:"dims"`
	Length int    `json:"length"`
	// Trainable is false for state such as the RNG, the step and optimizer moments.
	Trainable bool `json:"trainable"`
}

// WriteConfig writes cfg as dir/config.json, atomically.
func WriteConfig(dir string, cfg any) error {
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ConfigFile), append(data, '\n'))
}

// ReadConfig decodes dir/config.json into cfg, rejecting unknown fields.
func ReadConfig(dir string, cfg any) error {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is not a run folder: %s is missing", dir, ConfigFile)
		}
		return fmt.Errorf("reading %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// Save writes every variable of ctx, with cfg and step, as a new checkpoint
// in dir, then removes all but the newest keep checkpoints (keep <= 0 keeps
// all). It returns the checkpoint's path.
func Save(dir string, step int64, cfg any, ctx *context.Context, keep int) (string, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("encoding config: %w", err)
	}
	h := header{Step: step, Config: cfgJSON}
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
		h.Vars = append(h.Vars, varHeader{Scope: v.Scope(), Name: v.Name(), DType: sh.DType.String(),
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

func encode(w io.Writer, h header, payload [][]byte) error {
	hj, err := json.Marshal(h)
	if err != nil {
		return err
	}
	sum := sha256.New()
	mw := io.MultiWriter(w, sum)
	var pre [20]byte
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

// Latest loads the newest checkpoint in dir that reads back whole. Damaged
// newer files (which atomic writes should never leave) are reported in the
// returned skipped list. It returns an error wrapping ErrNone when there is
// no usable checkpoint.
func Latest(dir string) (ckpt *Checkpoint, skipped []string, err error) {
	files, err := List(dir)
	if err != nil {
		return nil, nil, err
	}
	for i := len(files) - 1; i >= 0; i-- {
		ckpt, err := Load(files[i])
		if err == nil {
			return ckpt, skipped, nil
		}
		skipped = append(skipped, err.Error())
	}
	return nil, skipped, fmt.Errorf("%w in %s", ErrNone, dir)
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

func decode(data []byte) (*Checkpoint, error) {
	if len(data) < 20+sha256.Size || string(data[:8]) != magic {
		return nil, errors.New("not a latent checkpoint (bad magic or too short)")
	}
	body, want := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], want) {
		return nil, errors.New("checksum mismatch: the file is damaged")
	}
	if v := binary.LittleEndian.Uint32(data[8:12]); v != version {
		return nil, fmt.Errorf("format version %d, want %d", v, version)
	}
	hlen := binary.LittleEndian.Uint64(data[12:20])
	if hlen > uint64(len(body)-20) {
		return nil, errors.New("header length exceeds the file")
	}
	var h header
	if err := json.Unmarshal(body[20:20+hlen], &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	ck := &Checkpoint{Step: h.Step, Config: h.Config}
	rest := body[20+hlen:]
	for _, vh := range h.Vars {
		t, n, err := readVar(vh, rest)
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
		ck.Vars = append(ck.Vars, Var{Scope: vh.Scope, Name: vh.Name, Trainable: vh.Trainable, Value: t})
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d unexpected trailing bytes", len(rest))
	}
	return ck, nil
}

func readVar(vh varHeader, rest []byte) (*tensors.Tensor, int, error) {
	dt, err := dtypes.DTypeString(vh.DType)
	if err != nil {
		return nil, 0, fmt.Errorf("variable %s/%s: dtype %q: %w", vh.Scope, vh.Name, vh.DType, err)
	}
	shape := shapes.Make(dt, vh.Dims...)
	if vh.Length != int(shape.Memory()) || vh.Length > len(rest) {
		return nil, 0, fmt.Errorf("variable %s/%s: %d bytes recorded for shape %s", vh.Scope, vh.Name, vh.Length, shape)
	}
	t := tensors.FromShape(shape)
	if err := t.MutableBytes(func(b []byte) { copy(b, rest[:vh.Length]) }); err != nil {
		return nil, 0, err
	}
	return t, vh.Length, nil
}

// Restore creates every saved variable in ctx, which must not hold them yet.
// Build graphs on ctx.Reuse() afterwards.
func (c *Checkpoint) Restore(ctx *context.Context) error {
	return c.RestoreSome(ctx, func(string) bool { return true })
}

// RestoreSome creates in ctx the saved variables whose scope keep accepts.
func (c *Checkpoint) RestoreSome(ctx *context.Context, keep func(scope string) bool) error {
	for _, v := range c.Vars {
		if !keep(v.Scope) {
			continue
		}
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
