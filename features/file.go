package features

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/latent-vae/latent/safetensors"
)

// Metadata keys of a feature network's file.
const (
	metaKind     = "latent_features" // "1": marks a feature network
	metaRecipe   = "recipe"
	metaShape    = "image_shape" // "H,W,C"
	metaClasses  = "classes"     // JSON list
	metaAccuracy = "test_accuracy"
	metaData     = "data_sha256"
	metaWeights  = "weights_sha256" // of the tensors' names, shapes and bytes, in name order
)

// Save writes n to path as a safetensors file, atomically.
func (n *Net) Save(path string) error {
	ts, err := n.tensors()
	if err != nil {
		return err
	}
	recipe, _ := json.Marshal(n.Recipe)
	classes, _ := json.Marshal(n.Classes)
	meta := map[string]string{
		metaKind: "1", metaRecipe: string(recipe), metaClasses: string(classes),
		metaShape:    fmt.Sprintf("%d,%d,%d", n.Height, n.Width, n.Channels),
		metaAccuracy: strconv.FormatFloat(n.Accuracy, 'f', -1, 64),
		metaData:     n.DataHash, metaWeights: weightsHash(ts),
	}
	if _, err := safetensors.Write(path, ts, meta); err != nil {
		return fmt.Errorf("writing the feature network %s: %w", path, err)
	}
	return nil
}

// tensors returns n's variables, named scope/name without the leading
// slash, in name order.
func (n *Net) tensors() ([]safetensors.Tensor, error) {
	var ts []safetensors.Tensor
	for v := range n.ctx.IterVariables() {
		s := strings.TrimPrefix(v.Scope(), "/")
		if !v.Trainable || (s != scope && !strings.HasPrefix(s, scope+"/")) {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.ScopeAndName(), err)
		}
		ts = append(ts, safetensors.Tensor{Name: s + "/" + v.Name(), Value: value})
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("the feature network has no weights")
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, nil
}

// weightsHash returns the SHA-256 of ts' names, shapes and bytes, in order.
func weightsHash(ts []safetensors.Tensor) string {
	h := sha256.New()
	for _, t := range ts {
		fmt.Fprintf(h, "%s %s\n", t.Name, t.Value.Shape())
		_ = t.Value.ConstBytes(func(b []byte) { h.Write(b) })
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load reads the feature network in the file path, checking its weights'
// SHA-256; every error names the file.
func Load(path string) (*Net, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("feature network %s: %w", path, err)
	}
	n, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("feature network %s: %w", path, err)
	}
	return n, nil
}

// parse reads a feature network from a file's bytes.
func parse(raw []byte) (*Net, error) {
	ts, meta, err := safetensors.Read(raw)
	if err != nil {
		return nil, fmt.Errorf("not a readable safetensors file (damaged?): %w", err)
	}
	if meta[metaKind] != "1" {
		return nil, fmt.Errorf("not a latent feature network (its metadata lacks %q)", metaKind)
	}
	if got := weightsHash(ts); got != meta[metaWeights] {
		return nil, fmt.Errorf("damaged: its weights' SHA-256 is %s, its header records %s", got, meta[metaWeights])
	}
	n := &Net{DataHash: meta[metaData], ctx: context.New()}
	if err := json.Unmarshal([]byte(meta[metaRecipe]), &n.Recipe); err != nil {
		return nil, fmt.Errorf("metadata %s: %w", metaRecipe, err)
	}
	if n.Recipe.Architecture != Architecture {
		return nil, fmt.Errorf("architecture %q: this latent builds %q", n.Recipe.Architecture, Architecture)
	}
	if err := json.Unmarshal([]byte(meta[metaClasses]), &n.Classes); err != nil || len(n.Classes) < 2 {
		return nil, fmt.Errorf("metadata %s %q: want a list of at least 2 class names (%v)", metaClasses, meta[metaClasses], err)
	}
	if _, err := fmt.Sscanf(meta[metaShape], "%d,%d,%d", &n.Height, &n.Width, &n.Channels); err != nil ||
		n.Height < 1 || n.Width < 1 || n.Channels < 1 {
		return nil, fmt.Errorf("metadata %s %q: want H,W,C", metaShape, meta[metaShape])
	}
	if n.Accuracy, err = strconv.ParseFloat(meta[metaAccuracy], 64); err != nil {
		return nil, fmt.Errorf("metadata %s: %w", metaAccuracy, err)
	}
	for _, t := range ts {
		s, name, _ := cutLast(t.Name)
		n.ctx.InAbsPath("/"+s).Checked(false).VariableWithValue(name, t.Value)
	}
	return n, nil
}

// cutLast splits a tensor name at its last slash: scope and variable name.
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}
