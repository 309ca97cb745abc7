package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		hidden  int
		wantErr string
	}{
		{"defaults to the benchmark model", []string{"--json", "o.json"}, 0, ""},
		{"the default model", []string{"--json", "o.json", "--hidden", "256"}, 256, ""},
		{"negative hidden", []string{"--json", "o.json", "--hidden", "-1"}, 0, "--hidden -1"},
		{"no output", []string{"--hidden", "256"}, 0, "--json"},
		{"warm-up past the steps", []string{"--json", "o.json", "--steps", "5", "--warmup", "5"}, 0, "--warmup 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags(%q) = %v, want an error naming %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tt.args, err)
			}
			if o.hidden != tt.hidden {
				t.Errorf("parseFlags(%q).hidden = %d, want %d", tt.args, o.hidden, tt.hidden)
			}
		})
	}
}
