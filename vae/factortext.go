package vae

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/latent-vae/latent/disentangle"
	"github.com/latent-vae/latent/plots"
)

// WriteText writes r as `latent factors` prints it: what was measured, a
// table of the scores, which dimension carries each factor and which
// factor each dimension shares most with.
func (r *FactorReport) WriteText(w io.Writer) error {
	grid := "not a full factor grid"
	if r.FullGrid {
		grid = "a full factor grid"
	}
	fmt.Fprintf(w, "%s (step %d), data %s: %s of %d dimensions; images drawn from %d (%s), seed %d\n",
		r.Run, r.Step, r.Data, r.Codes, r.Dimensions, r.Images, grid, r.Options.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	o := r.Options
	fmt.Fprintf(tw, "metric\tscore\ttrain\tprotocol\n")
	fmt.Fprintf(tw, "MIG\t%.4f\t\t%d images, %d bins\n", r.MIG.Score, o.Train, disentangle.Bins)
	fmt.Fprintf(tw, "SAP\t%.4f\t\t%d train, %d test images\n", r.SAP.Score, o.Train, o.Eval)
	fmt.Fprintf(tw, "DCI disentanglement\t%.4f\t\t%d train, %d test images\n", r.DCI.Disentanglement, o.Train, o.Eval)
	fmt.Fprintf(tw, "DCI completeness\t%.4f\t\t\n", r.DCI.Completeness)
	fmt.Fprintf(tw, "DCI informativeness\t%.4f\t%.4f\t(test accuracy; logistic regression)\n", r.DCI.InformativenessTest, r.DCI.InformativenessTrain)
	for _, v := range []struct {
		name  string
		score *VoteScore
	}{{"FactorVAE score", r.FactorVAE}, {"BetaVAE score", r.BetaVAE}} {
		if v.score == nil {
			fmt.Fprintf(tw, "%s\t-\t-\tskipped\n", v.name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%d train, %d eval points of %d images\n", v.name, v.score.Eval, v.score.Train, o.Train, o.Eval, o.Batch)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Skipped != "" {
		fmt.Fprintf(w, "skipped: %s\n", r.Skipped)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "factor\tvalues\tcarried by\tMI/H\tgap\n")
	for f, c := range r.Carriers {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.3f\t%.3f\n", c.Factor, r.Factors[f].Size, dimName(c.Dimension), c.Share, c.Gap)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "dimension\tfactor\tMI/H\n")
	for _, d := range r.DimFactors {
		fmt.Fprintf(tw, "z%d\t%s\t%.3f\n", d.Dimension, nonEmpty(d.Factor), d.Share)
	}
	return tw.Flush()
}

// dimName names dimension d (from 1), or "-" for none.
func dimName(d int) string {
	if d < 1 {
		return "-"
	}
	return fmt.Sprintf("z%d", d)
}

// nonEmpty returns s, or "-" when it is empty.
func nonEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// MIFigure returns the dimension × factor mutual information as a matrix
// figure: a row per dimension (z1 first), a column per factor.
func (r *FactorReport) MIFigure() *plots.Matrix {
	m := &plots.Matrix{Values: r.MI, Cols: make([]string, len(r.Factors)), Rows: make([]string, len(r.MI)),
		Title:  fmt.Sprintf("%s: mutual information (nats), MIG %.3f", filepath.Base(r.Run), r.MIG.Score),
		XLabel: "factor", YLabel: "dimension"}
	for f, info := range r.Factors {
		m.Cols[f] = info.Name
	}
	for j := range m.Rows {
		m.Rows[j] = dimName(j + 1)
	}
	return m
}
