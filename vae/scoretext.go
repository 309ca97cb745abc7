package vae

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/latent-vae/latent/features"
	"github.com/latent-vae/latent/prior"
)

// WriteText writes the report as `latent score` prints it: a table of
// the scores with a line for each prior skipped, saying why, the class
// coverage of each row, and what the rows and the KID column are.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "run %s (step %d): samples at %s, seed %d, against the test split (%d images)\n",
		r.Run, r.Step, TemperatureWords(r.Temperature), r.Seed, r.Reference)
	fmt.Fprintf(w, "features: %s (test accuracy %.2f%%); latent's own scale, not comparable with Inception FIDs\n\n",
		r.Features, 100*r.Accuracy)
	width := 16 // of the name column: the longest row label (a kind's row may be longer)
	for _, row := range r.Rows {
		width = max(width, utf8.RuneCountInString(r.label(row)))
	}
	fmt.Fprintf(w, "%-*s %6s %9s %9s ± %7s %9s %7s %9s\n", width, "", "N", "FID", KIDHeader, "std", "precision", "recall", "entropy")
	for _, row := range r.Rows {
		fmt.Fprintf(w, "%-*s %6d %9.3f %9.4f ± %7.4f %9.3f %7.3f %9.3f\n", width, r.label(row), row.N, row.FID,
			row.KID, row.KIDStd, row.Precision, row.Recall, row.Entropy)
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(w, "%-*s skipped: %s\n", width, "samples: "+sk.Prior, sk.Reason)
	}
	fmt.Fprintf(w, "\nclass coverage (%% of each row's images the feature network puts in each class; entropy in nats, at most %.3f):\n",
		math.Log(float64(len(r.Classes))))
	fmt.Fprintf(w, "%-*s", width, "")
	for _, c := range r.Classes {
		fmt.Fprintf(w, " %5.5s", c)
	}
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		fmt.Fprintf(w, "%-*s", width, r.label(row))
		for _, p := range row.Shares {
			fmt.Fprintf(w, " %5.1f", 100*p)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "\nrows: samples drawn from each prior (normal: N(0, T²I); "+prior.Either(prior.KindNames())+": fitted by latent prior fit);\n",
		"perfect prior: N training images picked at random, one posterior draw of each decoded: the aggregate posterior that priors are fitted to\n",
		"  (a prior that matched it exactly would score about this);\n",
		"reconstructions: the test split's posterior means, decoded, each paired with its own test image (below what any prior reaches);\n",
		"training split: N training images (the floor: two samples of the data itself);\n",
		KIDLegend(), "\n")
}

// label is row's name in the table: a prior's row drawn at its chosen
// temperature (no --temperature given) says which.
func (r Report) label(row Row) string {
	if r.Temperature == prior.ChosenTemperature && row.Temperature > 0 {
		return fmt.Sprintf("%s (T %g)", row.Name, row.Temperature)
	}
	return row.Name
}

// KIDHeader heads the score table's KID column: KID as is, ×1, where
// papers print Inception KIDs ×10³.
const KIDHeader = "KID×1"

// KIDLegend says what scale the table's KID column is on.
func KIDLegend() string {
	return fmt.Sprintf("%s: KID as is, not ×10³ as papers print Inception KIDs: the unbiased MMD² of the %d-d features, "+
		"kernel (x·y/%d + 1)³, mean ± std over 100 subsets", KIDHeader, features.Dim, features.Dim)
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
