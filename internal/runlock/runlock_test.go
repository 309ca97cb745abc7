//go:build unix

package runlock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// holdEnv makes the test binary a helper that holds the lock on the folder it
// names until its stdin closes.
const holdEnv = "RUNLOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		if _, err := Acquire(dir); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin) // until the parent closes it or dies
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestAcquireAcrossProcesses: a folder held by another process is refused
// with that process's pid; once the holder is killed with SIGKILL the lock
// is free again.
func TestAcquireAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); child.Process.Kill(); child.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper said %q, want locked", line)
	}

	_, err = Acquire(dir)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != child.Process.Pid ||
		!strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), strconv.Itoa(child.Process.Pid)) {
		t.Fatalf("Acquire of a held folder = %v, want a *HeldError naming %s and pid %d", err, dir, child.Process.Pid)
	}

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	defer l.Release()
	if pid := holder(filepath.Join(dir, FileName)); pid != os.Getpid() {
		t.Errorf("lock file records pid %d, want %d", pid, os.Getpid())
	}
}

func TestAcquireWithinProcess(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	var held *HeldError
	if _, err := Acquire(dir); !errors.As(err, &held) || held.PID != os.Getpid() {
		t.Errorf("second Acquire = %v, want a *HeldError with this pid", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	l, err = Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
}

func TestAcquireMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := Acquire(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Acquire of a missing folder = %v, want an error naming it", err)
	}
}
