package vae

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressPiped: on a writer that is not a terminal, a long phase
// prints a plain line within its first seconds (after the first batch
// that ends 2 s in) and then every 30 s, each with the time left; a short
// phase prints only its closing line.
func TestProgressPiped(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	progress := timedProgress(&buf, "images", func() time.Time { return clock })
	step := func(d time.Duration, done int) {
		clock = clock.Add(d)
		progress("iw", done, 1000)
	}
	step(0, 0)
	step(time.Second, 10) // 1 s in: nothing yet
	if buf.Len() != 0 {
		t.Fatalf("after 1 s: %q, want nothing yet", buf.String())
	}
	step(1500*time.Millisecond, 20) // 2.5 s in: the first line
	if want := "importance sampling: 20 of 1000 images in 3s, about 2m3s left\n"; buf.String() != want {
		t.Fatalf("2.5 s in: %q, want %q", buf.String(), want)
	}
	step(10*time.Second, 100) // 10 s later: nothing
	step(25*time.Second, 500) // 35 s after the first line: the second
	if n := strings.Count(buf.String(), "\n"); n != 2 || !strings.Contains(buf.String(), "500 of 1000 images in 38s, about 38s left") {
		t.Errorf("after 38 s: %q, want a second line at 500 of 1000", buf.String())
	}
	buf.Reset()
	progress("encode", 0, 100)
	progress("encode", 100, 100)
	if strings.Count(buf.String(), "\n") != 1 || !strings.HasPrefix(buf.String(), "encoding: 100 images in") {
		t.Errorf("a short phase: %q, want only its closing line", buf.String())
	}
}
