package export

import "fmt"

// Report says what the export written to path holds, as `latent export`
// prints it: the weights, then a line per prior. A prior's Warning is not
// part of it.
func (s Summary) Report(path string) string {
	out := fmt.Sprintf("wrote %s: %d tensors, %d parameters, step %d, %d bytes\n", path, s.Tensors, s.Params, s.Step, s.Bytes)
	for _, p := range s.Priors {
		out += fmt.Sprintf("  prior %s: %d tensors, %d parameters\n", p.Describe, p.Tensors, p.Params)
	}
	return out
}
