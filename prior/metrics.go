package prior

import (
	"fmt"

	"github.com/latent-vae/latent/internal/metricsfile"
)

// metricsHeader is the header of a diffusion fit's metrics.csv.
const metricsHeader = "step,train_loss,test_loss"

// metricsWriter appends rows "step,train_loss,test_loss" to a fit's
// metrics.csv, through the crash-safe writer train's metrics use.
type metricsWriter struct{ w *metricsfile.Writer }

// openMetrics opens path for a fit starting at start: the header and, for a
// resumed fit, the rows up to its checkpoint, rewritten atomically (the
// rows after it are dropped), then appended to.
func openMetrics(path string, start int64) (*metricsWriter, error) {
	w, err := metricsfile.Open(path, metricsHeader, start)
	if err != nil {
		return nil, err
	}
	return &metricsWriter{w}, nil
}

// write appends the row of step.
func (m *metricsWriter) write(step int64, train, test float64) error {
	return m.w.Write(fmt.Sprintf("%d,%.6g,%.6g", step, train, test))
}

// Close closes the file.
func (m *metricsWriter) Close() error { return m.w.Close() }
