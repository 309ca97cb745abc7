package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/latent-vae/latent/data"
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
		{"the colour model", []string{"--json", "o.json", "--data", "shapes", "--likelihood", "logistic", "--hidden", "256"}, 256, ""},
		{"shapes without a colour likelihood", []string{"--json", "o.json", "--data", "shapes"}, 0, "--likelihood"},
		{"shapes with bernoulli", []string{"--json", "o.json", "--data", "shapes", "--likelihood", "bernoulli"}, 0, "--likelihood"},
		{"mnist with a colour likelihood", []string{"--json", "o.json", "--likelihood", "gaussian"}, 0, "--likelihood gaussian"},
		{"an unknown set", []string{"--json", "o.json", "--data", "cifar"}, 0, "--data"},
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

// TestNPY: the .npy header is NumPy's format 1.0 (magic, version, a
// little-endian length, a dict padded to a multiple of 64 bytes with a
// newline last), followed by the pixels; and batches wrap around a split.
func TestNPY(t *testing.T) {
	s := &data.Split{Pixels: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, N: 2, Height: 1, Width: 2, Channels: 3}
	b := npy(s)
	if !bytes.HasPrefix(b, []byte("\x93NUMPY\x01\x00")) {
		t.Fatalf("magic and version: %q", b[:8])
	}
	n := int(b[8]) | int(b[9])<<8
	header := string(b[10 : 10+n])
	if (10+n)%64 != 0 || !strings.HasSuffix(header, "\n") ||
		!strings.HasPrefix(header, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1, 2, 3), }") {
		t.Errorf("header of %d bytes: %q", n, header)
	}
	if !bytes.Equal(b[10+n:], s.Pixels) {
		t.Errorf("data %v, want %v", b[10+n:], s.Pixels)
	}
	got := batches(s, 3)
	want := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6}
	for i := range want {
		if d := got[i] - want[i]/255; !(d <= 1e-7 && d >= -1e-7) {
			t.Fatalf("batches: value %d is %v, want %v/255", i, got[i], want[i])
		}
	}
}
