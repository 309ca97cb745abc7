// Package metricsfile keeps a metrics.csv that survives a crash and a
// resume: the header and the rows a resumed run keeps are rewritten
// atomically (internal/atomicfile), then rows are appended one at a time,
// so the file always holds whole rows and never a step twice.
package metricsfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/internal/atomicfile"
)

// Writer appends rows to a metrics file.
type Writer struct{ f *os.File }

// Open rewrites the metrics file at path, atomically, as header followed
// by the whole rows of the existing file (if any) whose first cell, the
// step, is at most start, and opens it for appending. A run resumed from
// the checkpoint of step start so drops the rows logged after it.
func Open(path, header string, start int64) (*Writer, error) {
	kept, err := keptRows(path, start)
	if err != nil {
		return nil, err
	}
	content := header + "\n" + strings.Join(kept, "")
	if err := atomicfile.WriteBytes(path, []byte(content)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &Writer{f: f}, nil
}

// keptRows returns the data rows of an existing metrics file whose step is at
// most start, each with its newline.
func keptRows(path string, start int64) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	var rows []string
	r := bufio.NewReader(f)
	for first := true; ; first = false {
		line, err := r.ReadString('\n')
		if cell, _, _ := strings.Cut(line, ","); !first && strings.HasSuffix(line, "\n") {
			if step, perr := strconv.ParseInt(cell, 10, 64); perr == nil && step <= start {
				rows = append(rows, line)
			}
		}
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
}

// Write appends one row (without its newline).
func (w *Writer) Write(row string) error {
	if _, err := fmt.Fprintln(w.f, row); err != nil {
		return fmt.Errorf("writing %s: %w", w.f.Name(), err)
	}
	return nil
}

// Close closes the file.
func (w *Writer) Close() error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", w.f.Name(), err)
	}
	return nil
}
