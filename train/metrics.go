package train

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-vae/latent/internal/metricsfile"
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
	Layers    int  // stochastic layers of the model: above 1, the per-layer KL columns follow
	Quantized bool // a quantised model's columns follow (rundir.QuantizerColumns)
	// Objective's columns follow (rundir.ObjectiveColumns), Capacity the
	// capacity annealing's C at the row's step.
	Objective rundir.Objective
	Capacity  float64
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
	if r.Quantized {
		cells = append(cells, r.quantizerCells()...)
	}
	return strings.Join(append(cells, r.objectiveCells()...), ",")
}

// objectiveCells are the row's rundir.ObjectiveColumns.
func (r metricsRow) objectiveCells() []string {
	var vals []float64
	if l := r.Train; l != nil {
		switch r.Objective.Kind {
		case rundir.BetaTCVAE:
			vals = []float64{l.MI, l.TC, l.DWKL}
		case rundir.FactorVAE:
			vals = []float64{l.TC, l.DiscLoss, l.DiscAccuracy}
		}
	}
	if r.Objective.Annealed() {
		vals = append(vals, r.Capacity)
	}
	cells := make([]string, len(rundir.ObjectiveColumns(r.Objective)))
	for i := range cells {
		if len(vals) == len(cells) {
			cells[i] = strconv.FormatFloat(vals[i], 'f', 4, 64)
		}
	}
	return cells
}

// quantizerCells are the row's rundir.QuantizerColumns.
func (r metricsRow) quantizerCells() []string {
	cell := func(l *models.Losses, v func(*models.Losses) float64) string {
		if l == nil {
			return ""
		}
		return strconv.FormatFloat(v(l), 'f', 4, 64)
	}
	commit := func(l *models.Losses) float64 { return l.Commitment }
	perplexity := func(l *models.Losses) float64 { return l.Perplexity }
	used := func(l *models.Losses) float64 { return l.CodesUsed }
	return []string{cell(r.Train, commit), cell(r.Train, perplexity), cell(r.Train, used),
		cell(r.Test, perplexity), cell(r.Test, used)}
}

// metricsWriter appends metricsRows to a run's metrics.csv.
type metricsWriter struct{ *metricsfile.Writer }

// openMetrics opens dir/metrics.csv, for a run of cfg (its model's
// stochastic layers, quantised or not, its objective), for appending.
// Rows after step start (written after the checkpoint a resumed run
// continues from) are dropped first, so the table never holds a step twice.
func openMetrics(dir string, start int64, cfg rundir.Config) (*metricsWriter, error) {
	header := append(append(rundir.MetricsColumns(), rundir.LayerKLColumns(cfg.Model.Layers())...), rundir.QuantizerColumns(models.Quantized(cfg.Model))...)
	header = append(header, rundir.ObjectiveColumns(cfg.Objective)...)
	w, err := metricsfile.Open(filepath.Join(dir, rundir.MetricsFile), strings.Join(header, ","), start)
	if err != nil {
		return nil, err
	}
	return &metricsWriter{w}, nil
}

// write appends r as a row.
func (w *metricsWriter) write(r metricsRow) error { return w.Write(r.String()) }
