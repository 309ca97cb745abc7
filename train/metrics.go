package train

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/internal/atomicfile"
	"github.com/latent-vae/latent/models"
	"github.com/latent-vae/latent/rundir"
)

type metricsRow struct {
	Step      int64
	Epoch     float64
	Train     *models.Losses // mean over the steps since the previous row
	Test      *models.Losses // nil where the test split was not evaluated
	ImagesSec float64
	Elapsed   float64
	Layers    int // stochastic layers of the model: above 1, the per-layer KL columns follow
}

func (r metricsRow) String() string {
	cells := []string{strconv.FormatInt(r.Step, 10), strconv.FormatFloat(r.Epoch, 'f', 3, 64)}
	for _, l := range []*models.Losses{r.Train, r.Test} {
		if l == nil {
			cells = append(cells, "", "", "")
			continue
		}
		for _, v := range []float64{l.NegELBO, l.Recon, l.KL} {
			cells = append(cells, strconv.FormatFloat(v, 'f', 4, 64))
		}
	}
	cells = append(cells, strconv.FormatFloat(r.ImagesSec, 'f', 1, 64), strconv.FormatFloat(r.Elapsed, 'f', 2, 64))
	if r.Layers > 1 {
		for _, l := range []*models.Losses{r.Train, r.Test} {
			for i := range r.Layers {
				cell := ""
				if l != nil && i < len(l.KLLayers) {
					cell = strconv.FormatFloat(l.KLLayers[i], 'f', 4, 64)
				}
				cells = append(cells, cell)
			}
		}
	}
	return strings.Join(cells, ",")
}

type metricsWriter struct{ f *os.File }

// openMetrics opens dir/metrics.csv, for a model of layers stochastic
// layers, for appending. Rows after step start (written after the
// checkpoint a resumed run continues from) are dropped first, so the table
// never holds a step twice.
func openMetrics(dir string, start int64, layers int) (*metricsWriter, error) {
	path := filepath.Join(dir, rundir.MetricsFile)
	kept, err := keptRows(path, start)
	if err != nil {
		return nil, err
	}
	header := append(rundir.MetricsColumns(), rundir.LayerKLColumns(layers)...)
	content := strings.Join(header, ",") + "\n" + strings.Join(kept, "")
	if err := atomicfile.WriteBytes(path, []byte(content)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &metricsWriter{f: f}, nil
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

func (w *metricsWriter) write(r metricsRow) error {
	if _, err := fmt.Fprintln(w.f, r.String()); err != nil {
		return fmt.Errorf("writing %s: %w", w.f.Name(), err)
	}
	return nil
}

func (w *metricsWriter) Close() error { return w.f.Close() }
