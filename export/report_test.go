package export

import "testing"

// TestSummaryReport: the weights' line, then one per prior.
func TestSummaryReport(t *testing.T) {
	s := Summary{Step: 9, Tensors: 12, Params: 3400, Bytes: 14000,
		Priors: []PriorSummary{{Describe: "gmm (2 components)", Tensors: 3, Params: 40, Warning: "old"}}}
	want := "wrote m.safetensors: 12 tensors, 3400 parameters, step 9, 14000 bytes\n  prior gmm (2 components): 3 tensors, 40 parameters\n"
	if got := s.Report("m.safetensors"); got != want {
		t.Errorf("Report = %q, want %q", got, want)
	}
}
