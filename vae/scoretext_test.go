package vae

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/latent-vae/latent/prior"
)

// TestScoreTableAligns: in both tables `latent score` prints, every row's
// numbers end at the column where their header ends (they are right
// aligned), whatever the row's name ("samples: diffusion" is the longest)
// and the numbers' widths.
func TestScoreTableAligns(t *testing.T) {
	for _, tc := range []struct {
		name        string
		temperature float64         // the report's: --temperature, or the chosen one
		drawn       map[int]float64 // rows' temperatures
		labels      map[int]string  // rows' expected labels where not their names
	}{
		{"given", 1, map[int]float64{1: 1, 2: 1}, nil},
		{"chosen", prior.ChosenTemperature, map[int]float64{1: 0.9, 2: 1},
			map[int]string{1: "samples: gmm (T 0.9)", 2: "samples: diffusion (T 1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) { scoreTableAligns(t, tc.temperature, tc.drawn, tc.labels) })
	}
}

// scoreTableAligns checks the score table of a report at temperature,
// its rows drawn at drawn, labelled by labels where not by their names.
func scoreTableAligns(t *testing.T, temperature float64, drawn map[int]float64, labels map[int]string) {
	rep := Report{Run: "runs/x", Step: 100, Features: "f.safetensors", Accuracy: 0.99, Seed: 1, Temperature: temperature,
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, Reference: 10000}
	for i, name := range []string{"samples: normal", "samples: gmm", "samples: diffusion", "perfect prior", "reconstructions", "training split"} {
		shares := make([]float64, 10)
		shares[i] = 1 // 100.0, the widest share
		rep.Rows = append(rep.Rows, Row{Name: name, N: []int{10000, 20, 5}[i%3], FID: []float64{1234.5678, 0.5, 12}[i%3],
			KID: []float64{-0.0012, 0.1234, 1.5}[i%3], KIDStd: []float64{0.0003, 12.3456, 0}[i%3],
			Precision: float64(i) / 5, Recall: 1 - float64(i)/5, Entropy: 2.302585, Shares: shares, Temperature: drawn[i]})
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	lines := strings.Split(buf.String(), "\n")
	// ends returns the rune column after each field of line, the row name
	// (holding spaces) taken as one field.
	ends := func(line, name string) []int {
		var out []int
		col := utf8.RuneCountInString(name)
		inField := name != "" // the name is a field: its end comes first
		for _, r := range line[len(name):] {
			if r == ' ' && inField {
				out = append(out, col)
			}
			inField = r != ' '
			col++
		}
		if inField {
			out = append(out, col)
		}
		return out
	}
	for _, table := range []struct {
		name   string
		header int // line index of the header
	}{
		{"scores", slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "precision") && strings.Contains(l, "entropy") })},
		{"class coverage", slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "class coverage") }) + 1},
	} {
		if table.header < 1 || table.header+len(rep.Rows) >= len(lines) {
			t.Fatalf("%s table: no header in\n%s", table.name, buf.String())
		}
		want := ends(lines[table.header], "")
		for i, row := range rep.Rows {
			line, label := lines[table.header+1+i], row.Name
			if l, ok := labels[i]; ok {
				label = l
			}
			if !strings.HasPrefix(line, label+" ") {
				t.Fatalf("%s table, row %d: %q, want the row %q", table.name, i, line, label)
			}
			if got := ends(line, label); !slices.Equal(got[1:], want) {
				t.Errorf("%s table: row %q's fields end at columns %v, the header's at %v:\n%s\n%s",
					table.name, label, got[1:], want, lines[table.header], line)
			}
		}
	}
}

// TestScoreReportSkipped: a prior Score skipped is one line of the text
// report, below the scores, saying which and why, and in the JSON report
// its kind and reason, with no scores; a report that skipped none has no
// such line and no "skipped" key, as before skipping existed.
func TestScoreReportSkipped(t *testing.T) {
	const reason = "p/ckpt.latent: this transformer prior was fitted by an earlier latent; fit it again"
	rows := []Row{{Name: "samples: uniform", N: 4, Shares: []float64{1}}, {Name: "perfect prior", N: 4, Shares: []float64{1}}}
	for _, tc := range []struct {
		name    string
		skipped []Skipped
		lines   int // of the text naming the transformer
		json    string
	}{
		{"none skipped", nil, 0, ""},
		{"one skipped", []Skipped{{Prior: "transformer", Reason: reason}}, 1,
			`"skipped": [
    {
      "prior": "transformer",
      "reason": "` + reason + `"
    }
  ]`},
	} {
		rep := Report{Run: "runs/x", Classes: []string{"0"}, Rows: rows, Skipped: tc.skipped}
		var text, js bytes.Buffer
		rep.WriteText(&text)
		if err := rep.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var named []string
		for _, line := range strings.Split(text.String(), "\n") {
			if strings.Contains(line, "transformer") && !strings.HasPrefix(line, "rows:") {
				named = append(named, line)
			}
		}
		if len(named) != tc.lines || tc.lines == 1 && !strings.HasPrefix(named[0], "samples: transformer skipped: "+reason) {
			t.Errorf("%s: the text names the transformer in %q; want %d line(s) saying it was skipped and why", tc.name, named, tc.lines)
		}
		if got := strings.Contains(js.String(), `"skipped"`); got != (tc.json != "") || !strings.Contains(js.String(), tc.json) {
			t.Errorf("%s: JSON\n%s\nwant it to hold %q", tc.name, js.String(), cmp.Or(tc.json, `no "skipped"`))
		}
	}
}
