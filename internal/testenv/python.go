package testenv

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// RunPython runs python (the interpreter PythonNumpy returns) with args,
// a script's path or "-c" and its text followed by the script's arguments,
// feeding it stdin (nil for none), and returns its standard output. A
// failure to start or a non-zero exit fails tb with the script's standard
// error and output; standard error of a script that succeeds is logged.
func RunPython(tb testing.TB, python string, stdin []byte, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command(python, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s: %v\nstderr:\n%s\nstdout:\n%s", scriptName(args), err, stderr.Bytes(), stdout.Bytes())
	}
	if stderr.Len() > 0 {
		tb.Logf("%s: stderr:\n%s", scriptName(args), stderr.Bytes())
	}
	return stdout.Bytes()
}

// PythonJSON runs python with args and stdin as RunPython does and decodes
// the JSON the script prints into out, failing tb with the printed text
// when it is not JSON that fits out.
func PythonJSON(tb testing.TB, out any, python string, stdin []byte, args ...string) {
	tb.Helper()
	printed := RunPython(tb, python, stdin, args...)
	if err := json.Unmarshal(printed, out); err != nil {
		tb.Fatalf("%s printed %q: %v", scriptName(args), printed, err)
	}
}

// scriptName names the script of args for a message: its path and
// arguments, or "python -c" and the arguments of an inline script (whose
// text would drown the message).
func scriptName(args []string) string {
	if len(args) > 0 && args[0] == "-c" {
		return strings.Join(append([]string{"python -c …"}, args[min(2, len(args)):]...), " ")
	}
	return strings.Join(args, " ")
}
