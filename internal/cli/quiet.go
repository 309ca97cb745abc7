package cli

import (
	"bytes"
	"fmt"
	"io"
)

// QuietUsage is the usage of --quiet, which every command takes.
const QuietUsage = "print no progress or informational lines on stderr (errors and warnings still do)"

// quietWriter is a command's stderr under --quiet: it passes on only
// warnings and the messages a command prints itself as errors are printed,
// the lines that start with "warning:" or the program's name and a space
// (such as a training command's advice after Ctrl-C).
type quietWriter struct {
	w      io.Writer
	prefix string // the program's name and a space
	line   []byte
}

// kept reports whether --quiet keeps line.
func (q *quietWriter) kept(line []byte) bool {
	return bytes.HasPrefix(line, []byte("warning:")) || bytes.HasPrefix(line, []byte(q.prefix))
}

// Write passes on the whole lines of p that are kept, holding back an
// unfinished one.
func (q *quietWriter) Write(p []byte) (int, error) {
	q.line = append(q.line, p...)
	for {
		i := bytes.IndexAny(q.line, "\r\n")
		if i < 0 {
			return len(p), nil
		}
		if q.kept(q.line) {
			if _, err := q.w.Write(q.line[:i+1]); err != nil {
				return len(p), err
			}
		}
		q.line = q.line[i+1:]
	}
}

// flush passes on an unfinished line that is kept.
func (q *quietWriter) flush() {
	if q.kept(q.line) {
		fmt.Fprintf(q.w, "%s\n", q.line)
	}
	q.line = nil
}
