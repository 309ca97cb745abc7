package testenv

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// fakeTB records a Fatalf instead of failing the test, and ends the
// goroutine the helper runs in, as testing.T's Fatalf does; the methods it
// does not override go to the real test.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper()                         {}
func (f *fakeTB) Logf(format string, args ...any) {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// observe runs fn with a fakeTB in its own goroutine and returns the
// message fn failed it with, "" when it did not.
func observe(t *testing.T, fn func(tb testing.TB)) string {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f.fatal
}

// TestPythonJSON: a script's JSON, computed from its stdin and arguments,
// decodes; a script that exits 1 (even after printing JSON) fails the test
// with its stderr, and one that prints no JSON fails it with what it
// printed.
func TestPythonJSON(t *testing.T) {
	python := PythonNumpy(t)
	echo := `
import json, sys
print(json.dumps({"stdin": json.load(sys.stdin), "args": sys.argv[1:]}))
`
	var got struct {
		Stdin map[string][]int `json:"stdin"`
		Args  []string         `json:"args"`
	}
	if msg := observe(t, func(tb testing.TB) {
		PythonJSON(tb, &got, python, []byte(`{"x": [1, 2, 3]}`), "-c", echo, "a b", "c")
	}); msg != "" {
		t.Fatalf("the echo script failed: %s", msg)
	}
	if !slices.Equal(got.Stdin["x"], []int{1, 2, 3}) || !slices.Equal(got.Args, []string{"a b", "c"}) {
		t.Errorf("decoded stdin %v, arguments %q; want x [1 2 3] and [\"a b\" \"c\"]", got.Stdin, got.Args)
	}

	failing := `
import sys
print('{"x": 1}')
sys.exit("the reference broke")
`
	for _, tc := range []struct {
		name string
		run  func(tb testing.TB)
		want string
	}{
		{"RunPython, exit 1", func(tb testing.TB) { RunPython(tb, python, nil, "-c", failing) }, "the reference broke"},
		{"PythonJSON, exit 1", func(tb testing.TB) {
			var v map[string]int
			PythonJSON(tb, &v, python, nil, "-c", failing)
		}, "the reference broke"},
		{"PythonJSON, not JSON", func(tb testing.TB) {
			var v map[string]int
			PythonJSON(tb, &v, python, nil, "-c", "print('nan nan')")
		}, `printed "nan nan\n"`},
		{"a missing script", func(tb testing.TB) { RunPython(tb, python, nil, "testdata/no-such-script.py") }, "no-such-script.py"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := observe(t, tc.run)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("failed the test with %q, want a failure naming %q", msg, tc.want)
			}
		})
	}
}
