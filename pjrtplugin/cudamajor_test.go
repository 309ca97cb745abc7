package pjrtplugin

import (
	"strings"
	"testing"
)

// TestCUDAMajor checks --cuda's values: 13 and 12, true for 13, false for
// none, and a refusal naming the versions and their drivers.
func TestCUDAMajor(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"13", "13", ""}, {"12", "12", ""}, {"true", "13", ""}, {"false", "", ""},
		{"11", "", `want 13 (driver >= 580) or 12 (driver >= 525), got "11"`},
	} {
		var c CUDAMajor
		err := c.Set(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Set(%q): %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || c.String() != tc.want {
			t.Errorf("Set(%q): %q (%v), want %q", tc.in, c.String(), err, tc.want)
		}
	}
	if _, err := CUDAReleaseFor(int(CUDAMajor(13))); err != nil {
		t.Errorf("CUDA 13, --cuda's value alone, has no release: %v", err)
	}
}
