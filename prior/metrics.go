package prior

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// metricsWriter appends rows "step,train_loss,test_loss" to a fit's metrics.csv.
type metricsWriter struct{ f *os.File }

const metricsHeader = "step,train_loss,test_loss"

// openMetrics opens path for a fit starting at start: a fresh file with
// the header at 0, else the rows up to start kept (a resumed fit rewrites
// the rows after its checkpoint).
func openMetrics(path string, start int64) (*metricsWriter, error) {
	var kept []string
	if start > 0 {
		if f, err := os.Open(path); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				fields := strings.SplitN(sc.Text(), ",", 2)
				if s, err := strconv.ParseInt(fields[0], 10, 64); err == nil && s <= start {
					kept = append(kept, sc.Text())
				}
			}
			f.Close()
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	w := &metricsWriter{f}
	if _, err := fmt.Fprintln(f, metricsHeader); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	for _, row := range kept {
		fmt.Fprintln(f, row)
	}
	return w, nil
}

func (w *metricsWriter) write(step int64, train, test float64) error {
	if _, err := fmt.Fprintf(w.f, "%d,%.6g,%.6g\n", step, train, test); err != nil {
		return fmt.Errorf("writing %s: %w", w.f.Name(), err)
	}
	return nil
}

func (w *metricsWriter) Close() error { return w.f.Close() }
