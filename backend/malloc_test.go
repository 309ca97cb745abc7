package backend

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph ops read best unqualified

	"github.com/latent-vae/latent/internal/malloc"
)

// envArenas makes the test binary a child that runs graphs from several
// threads (arenasChild) and prints how many malloc arenas it then has.
const envArenas = "LATENT_MALLOC_TEST_CHILD"

// arenasChild runs a matrix product, large enough for XLA's worker threads
// to take part, from four goroutines each locked to its own thread, then
// prints malloc.Arenas.
func arenasChild() int {
	b, err := Open("xla:cpu", io.Discard)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.Finalize()
	exec := MustNewExec(b, func(x *Node) *Node { return ReduceAllSum(Tanh(MatMul(x, x))) })
	x := make([][]float32, 384)
	for i := range x {
		x[i] = make([]float32, 384)
		x[i][i] = 1
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			runtime.LockOSThread()
			for range 5 {
				exec.MustExec(x)
			}
		})
	}
	wg.Wait()
	n, err := malloc.Arenas()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(n)
	return 0
}

// arenas runs arenasChild in a process of its own with env added.
func arenas(t *testing.T, env ...string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envArenas+"=1"), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("child printed %q: %v", out, err)
	}
	return n
}

// TestMallocOneArena checks internal/malloc's tuning of the arenas: a
// program that runs graphs from several threads allocates from one malloc
// arena, so that the blocks XLA's worker threads free stay in the heap
// rather than being unmapped with a thread's own arena (the transformer
// prior's fit spent a third of its time faulting them in again); and a
// GLIBC_TUNABLES that sets the arenas is obeyed instead.
func TestMallocOneArena(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("glibc's malloc is tuned on Linux only")
	}
	if n := arenas(t, "GLIBC_TUNABLES="); n != 1 {
		t.Errorf("graphs run from 4 threads: %d malloc arenas, want 1", n)
	}
	if n := arenas(t, "GLIBC_TUNABLES=glibc.malloc.arena_max=8"); n < 2 {
		t.Errorf("with glibc.malloc.arena_max=8: %d malloc arenas, want several (the test's threads must allocate from arenas of their own, or it checks nothing)", n)
	}
}
