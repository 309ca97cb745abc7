package vae

import (
	"bytes"
	"testing"
)

// TestDownloadBarPiped: piped, a download draws no bar.
func TestDownloadBarPiped(t *testing.T) {
	var b bytes.Buffer
	if bar := DownloadBar(&b, 100); bar != nil {
		t.Errorf("DownloadBar on a buffer = %T, want none", bar)
	}
}
