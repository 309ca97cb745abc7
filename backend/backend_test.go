package backend

import (
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestXLACPUSmoke compiles and runs a matmul and a 2-D convolution with its
// gradients on XLA CPU, against float64 references computed in Go. Without
// the plugin it skips, except with CI=true, where it fails.
func TestXLACPUSmoke(t *testing.T) {
	b, err := Open("xla:cpu", io.Discard)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("XLA CPU plugin missing in CI: %v", err)
		}
		t.Skipf("XLA CPU plugin missing (run make setup): %v", err)
	}
	defer b.Finalize()
	if b.PluginPath == "" || b.PJRTVersion == "" || !b.CanTrain() {
		t.Errorf("plugin path %q, PJRT version %q, can train %v: want both, and training", b.PluginPath, b.PJRTVersion, b.CanTrain())
	}
	t.Logf("%s", b.Summary())

	a := [][]float32{{1, 2, 3}, {4, 5, 6}}
	m := [][]float32{{7, 8}, {9, 10}, {11, 12}}
	got := MustNewExec(b, func(x, y *Node) *Node { return MatMul(x, y) }).MustExec(a, m)[0].Value().([][]float32)
	for i := range 2 {
		for j := range 2 {
			var want float64
			for k := range 3 {
				want += float64(a[i][k]) * float64(m[k][j])
			}
			if math.Abs(float64(got[i][j])-want) > 1e-4 {
				t.Errorf("matmul[%d][%d] = %v, want %v", i, j, got[i][j], want)
			}
		}
	}
	checkConvolution(t, b)
}

// checkConvolution runs a 5×5 "valid" convolution with a 3×3 kernel and the
// gradients of the sum of its squared outputs.
func checkConvolution(t *testing.T, b *Backend) {
	const n, k = 5, 3
	x := make([]float32, n*n)
	w := make([]float32, k*k)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	for i := range w {
		w[i] = float32(math.Cos(float64(3 * i)))
	}
	exec := MustNewExec(b, func(x, w *Node) []*Node {
		y := Convolve(x, w).NoPadding().Done()
		loss := ReduceAllSum(Square(y))
		g := Gradient(loss, x, w)
		return []*Node{y, g[0], g[1]}
	})
	out := exec.MustExec(tensors.FromFlatDataAndDimensions(x, 1, n, n, 1), tensors.FromFlatDataAndDimensions(w, k, k, 1, 1))
	y, gx, gw := flat(out[0]), flat(out[1]), flat(out[2])
	m := n - k + 1
	wantY := make([]float64, m*m)
	wantGX := make([]float64, n*n)
	wantGW := make([]float64, k*k)
	for i := range m {
		for j := range m {
			var s float64
			for a := range k {
				for c := range k {
					s += float64(x[(i+a)*n+j+c]) * float64(w[a*k+c])
				}
			}
			wantY[i*m+j] = s
			for a := range k {
				for c := range k {
					wantGX[(i+a)*n+j+c] += 2 * s * float64(w[a*k+c])
					wantGW[a*k+c] += 2 * s * float64(x[(i+a)*n+j+c])
				}
			}
		}
	}
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"output", y, wantY}, {"input gradient", gx, wantGX}, {"kernel gradient", gw, wantGW}} {
		if len(c.got) != len(c.want) {
			t.Fatalf("convolution %s: %d values, want %d", c.name, len(c.got), len(c.want))
		}
		for i := range c.want {
			if math.Abs(c.got[i]-c.want[i]) > 1e-4*(1+math.Abs(c.want[i])) {
				t.Errorf("convolution %s[%d] = %v, want %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
}

func flat(t *tensors.Tensor) []float64 {
	var out []float64
	for _, v := range tensors.MustCopyFlatData[float32](t) {
		out = append(out, float64(v))
	}
	return out
}

func TestOpenRejectsUnknownBackend(t *testing.T) {
	for _, name := range []string{"tpu9", "cuda", "xla2:cpu"} {
		_, err := Open(name, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "unknown backend") || !strings.Contains(err.Error(), name) {
			t.Errorf("Open(%q) error = %v, want an unknown-backend error naming it", name, err)
		}
	}
}

// TestOpenDevices: XLA CPU presents as many host devices as asked for
// (through the cpu_device_count client option); a backend that cannot is
// an error wrapping ErrTooFewDevices.
func TestOpenDevices(t *testing.T) {
	b, err := Open("xla:cpu", io.Discard)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("XLA CPU plugin missing in CI: %v", err)
		}
		t.Skipf("XLA CPU plugin missing (run make setup): %v", err)
	}
	b.Finalize()
	for _, n := range []int{2, 3, 6} {
		b, err := OpenDevices("xla:cpu", n, io.Discard)
		if err != nil {
			t.Fatalf("OpenDevices(xla:cpu, %d): %v", n, err)
		}
		if got := b.NumDevices(); got != n {
			t.Errorf("OpenDevices(xla:cpu, %d): %d devices", n, got)
		}
		b.Finalize()
	}
	if _, err := OpenDevices("go", 2, io.Discard); !errors.Is(err, ErrTooFewDevices) || !strings.Contains(err.Error(), `"go" presents 1`) {
		t.Errorf("OpenDevices(go, 2): error %v, want ErrTooFewDevices naming the 1 device", err)
	}
	if _, err := OpenDevices("xla:cpu", -1, io.Discard); err == nil {
		t.Error("OpenDevices(xla:cpu, -1): no error")
	}
}
