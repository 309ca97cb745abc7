package prior

import (
	"strings"
	"testing"
)

// TestWriteList: no prior is one line saying how to fit one; rows give
// their scores or "unscored", the auto pick starred, one this latent
// cannot open "unusable", and on stderr what an unscored, mismatched or
// unusable prior needs.
func TestWriteList(t *testing.T) {
	var out, errs strings.Builder
	if err := WriteList(&out, &errs, "runs/a", Origin{}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "run runs/a has no fitted prior: fit one with `latent prior fit --run runs/a --kind ") || errs.Len() != 0 {
		t.Errorf("no prior: stdout %q, stderr %q", out.String(), errs.String())
	}
	out.Reset()
	rows := []ListRow{
		{Kind: "b", Size: "b (3)", Quality: &Quality{FID: 1.25, Precision: 0.5, Recall: 0.25, FitSeconds: 9, Temperature: 0.8}, RunStep: 7, RunSHA: "0123456789abcdef", Current: true, AutoPick: true},
		{Kind: "a", Size: "a (1)", RunStep: 5, Problem: "fitted to step 5"},
		{Kind: "c", Size: "c (2)", RunStep: 7, Unusable: true, Problem: "p/ckpt.latent: fit it again"},
	}
	if err := WriteList(&out, &errs, "runs/a", Origin{Step: 7, Checkpoint: "0123456789abcdef"}, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := [][]string{
		{"run", "runs/a", "at", "step", "7", "(checkpoint", "sha", "0123456789ab);", "best", "first,", "as", "--prior", "auto", "picks:"},
		{"auto", "prior", "FID", "precision", "recall", "temperature", "fit", "fitted", "to", "current"},
		{"*", "b", "(3)", "1.25", "0.500", "0.250", "0.8", "9s", "step", "7,", "sha", "0123456789ab", "yes"},
		{"a", "(1)", "unscored", "-", "-", "-", "-", "step", "5,", "sha", "unrecorded", "no"},
		{"c", "(2)", "unscored", "-", "-", "-", "-", "step", "7,", "sha", "unrecorded", "unusable"},
	}
	if len(lines) != len(want) {
		t.Fatalf("list: %q, want %d lines", out.String(), len(want))
	}
	for i, line := range lines {
		if got := strings.Fields(line); strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("line %d: %q, want %q", i, got, want[i])
		}
	}
	if strings.Contains(errs.String(), "c: unscored") {
		t.Errorf("stderr %q advises scoring c, which cannot be opened", errs.String())
	}
	for _, w := range []string{"a: unscored, fitted before latent scored its fits", "latent prior score --run runs/a --kind a", "a: fitted to step 5", "c: p/ckpt.latent: fit it again"} {
		if !strings.Contains(errs.String(), w) {
			t.Errorf("stderr %q lacks %q", errs.String(), w)
		}
	}
}
